// The sent_reports contract (store/database.hpp was_sent / mark_sent) checked
// on any backend, so SQLite (unit test) and PostgreSQL (e2e) run the same
// assertions: a period is sent once per destination; a forced resend updates
// the one row.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "store/database.hpp"

namespace domainauth::store {

inline void check_sent_once_per_destination(Database& db) {
  ASSERT_EQ(migrate(db), std::nullopt);
  const SentKey key{"example.com", 1789948800, "dmarc@example.com"};
  bool sent = true;
  ASSERT_EQ(was_sent(db, key, sent), std::nullopt);
  EXPECT_FALSE(sent);
  ASSERT_EQ(mark_sent(db, key, "r1", 1790040000), std::nullopt);
  ASSERT_EQ(was_sent(db, key, sent), std::nullopt);
  EXPECT_TRUE(sent);
  // Another destination, domain or period is not sent yet.
  for (const SentKey& other : {SentKey{"example.com", 1789948800, "x@thirdparty.example"},
                               SentKey{"example.org", 1789948800, "dmarc@example.com"},
                               SentKey{"example.com", 1789948800 + 86400, "dmarc@example.com"}}) {
    ASSERT_EQ(was_sent(db, other, sent), std::nullopt);
    EXPECT_FALSE(sent) << other.policy_domain << " " << other.period_begin << " " << other.destination;
  }
  // A forced resend updates the one row.
  ASSERT_EQ(mark_sent(db, key, "r2", 1790050000), std::nullopt);
  std::vector<ResultRow> rows;
  ASSERT_EQ(db.execute("SELECT report_id, sent_at FROM sent_reports", {}, &rows), std::nullopt);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "r2");
  EXPECT_EQ(rows[0][1], "1790050000");
}

}  // namespace domainauth::store
