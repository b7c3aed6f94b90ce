// The retention contract (store/retention.hpp) checked on any backend, so
// SQLite (unit test) and PostgreSQL (e2e) run the same assertions: rows of
// the days before the cutoff go with their DKIM results and sent-report rows,
// in batches; the days kept, and the record that their reports were sent, stay.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/retention.hpp"

namespace domainauth::store {

inline Row retention_row(std::int64_t time) {
  Row row;
  row.time = time;
  row.source_ip = "192.0.2.1";
  row.header_from = row.policy_domain = "example.com";
  row.dkim = {{"pass", "example.com", "s1", true}, {"fail", "example.org", "s2", false}};
  row.result = "pass";
  row.disposition = "none";
  return row;
}

inline std::string count(Database& db, const std::string& table) {
  std::vector<ResultRow> rows;
  EXPECT_EQ(db.execute("SELECT COUNT(*) FROM " + table, {}, &rows), std::nullopt);
  return rows.empty() ? "" : rows[0].at(0).value_or("");
}

inline void check_retention_deletes_whole_old_days_in_batches(Database& db) {
  ASSERT_EQ(migrate(db), std::nullopt);
  constexpr std::int64_t kNow = 1790000000;  // 2026-09-21 14:13:20 UTC
  constexpr std::int64_t kDays = 180;
  const auto cutoff = retention_cutoff(kNow, kDays);
  ASSERT_EQ(cutoff, reporting_window(kNow).first - kDays * kReportInterval);
  // 7 rows in the last second before the cutoff and in older days; 5 from the
  // cutoff's first second on (the oldest day kept, and today).
  std::vector<Row> rows;
  for (std::int64_t t : {cutoff - 1, cutoff - 1, cutoff - 86400, cutoff - 5 * 86400, std::int64_t{0}, cutoff - 2,
                         cutoff - 3}) {
    rows.push_back(retention_row(t));
  }
  for (std::int64_t t : {cutoff, cutoff + 1, cutoff + 86399, kNow, kNow - 60}) rows.push_back(retention_row(t));
  ASSERT_EQ(insert_rows(db, rows), std::nullopt);
  const SentKey old_sent{"example.com", cutoff - 86400, "dmarc@example.com"};
  const SentKey kept_sent{"example.com", cutoff, "dmarc@example.com"};
  for (const auto& key : {old_sent, SentKey{"example.com", cutoff - 2 * 86400, "a@example.net"}, kept_sent}) {
    ASSERT_EQ(mark_sent(db, key, "r", kNow), std::nullopt);
  }

  // Batches of 3: 7 messages take three batches, the third not full.
  Expired expired;
  bool more = false;
  ASSERT_EQ(expire_batch(db, cutoff, 3, expired, more), std::nullopt);
  EXPECT_TRUE(more);
  EXPECT_EQ(expired.messages, 3u);
  EXPECT_EQ(expired.sent_reports, 2u);
  ASSERT_EQ(expire_batch(db, cutoff, 3, expired, more), std::nullopt);
  EXPECT_TRUE(more);
  ASSERT_EQ(expire_batch(db, cutoff, 3, expired, more), std::nullopt);
  EXPECT_FALSE(more);
  EXPECT_EQ(expired.messages, 7u);
  EXPECT_EQ(expired.sent_reports, 2u);

  std::vector<Row> left;
  ASSERT_EQ(select_rows(db, "", 0, 1LL << 40, left), std::nullopt);
  ASSERT_EQ(left.size(), 5u);
  for (const auto& row : left) {
    EXPECT_GE(row.time, cutoff);
    EXPECT_EQ(row.dkim.size(), 2u);
  }
  EXPECT_EQ(count(db, "dkim_results"), "10");  // none left behind by the deleted messages
  bool sent = false;
  ASSERT_EQ(was_sent(db, kept_sent, sent), std::nullopt);
  EXPECT_TRUE(sent) << "a kept day's report must not be sent again";
  ASSERT_EQ(was_sent(db, old_sent, sent), std::nullopt);
  EXPECT_FALSE(sent);

  // Nothing left to expire: a second pass deletes nothing.
  Expired again;
  ASSERT_EQ(expire(db, cutoff, again), std::nullopt);
  EXPECT_EQ(again.messages, 0u);
  EXPECT_EQ(again.sent_reports, 0u);
  EXPECT_EQ(count(db, "messages"), "5");
}

}  // namespace domainauth::store
