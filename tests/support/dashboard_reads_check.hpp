// The dashboard's reads of the history (store/database.hpp messages_by_day,
// recent_failures, through store::connect_reader's read-only connection)
// checked on any backend, so SQLite (unit test) and PostgreSQL (e2e) run the
// same assertions: day counts per result from since, failures newest first up
// to the limit with every field and DKIM result, and no write through the reader.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace domainauth::store {

inline Row dashboard_row(std::int64_t time, std::string policy_domain, std::string result) {
  Row row;
  row.time = time;
  row.source_ip = "192.0.2.7";
  row.header_from = policy_domain;
  row.envelope_from = "bounce." + policy_domain;
  row.spf_result = result;
  row.spf_domain = "bounce." + policy_domain;
  row.dkim = {{result, policy_domain, "s1", result == "pass"}, {"fail", "other.example", "sel", false}};
  row.policy_domain = std::move(policy_domain);
  row.policy = {"reject", "", "", 100, "r", "r", false, "1"};
  row.disposition = result == "pass" ? "none" : "reject";
  row.result = std::move(result);
  return row;
}

// writer: a migrated connection; reader: connect_reader's, to the same database.
inline void check_dashboard_reads(Database& writer, Database& reader) {
  constexpr std::int64_t kDay = 1789948800;  // a UTC midnight
  std::vector<Row> rows;
  for (const std::int64_t t : {kDay + 10, kDay + 11, kDay + 86400}) {
    rows.push_back(dashboard_row(t, "example.com", "pass"));
  }
  for (const std::int64_t t : {kDay + 12, kDay + 13, kDay + 86401}) {
    rows.push_back(dashboard_row(t, "example.com", "fail"));
  }
  rows.push_back(dashboard_row(kDay + 14, "example.org", "fail"));
  ASSERT_EQ(insert_rows(writer, rows), std::nullopt);

  std::vector<DayCount> days;
  ASSERT_EQ(messages_by_day(reader, "example.com", kDay, days), std::nullopt);
  ASSERT_EQ(days.size(), 4U);
  EXPECT_EQ(days[0].day, kDay);
  EXPECT_EQ(days[0].result, "fail");
  EXPECT_EQ(days[0].messages, 2U);
  EXPECT_EQ(days[1].result, "pass");
  EXPECT_EQ(days[1].messages, 2U);
  EXPECT_EQ(days[3].day, kDay + 86400);
  days.clear();
  ASSERT_EQ(messages_by_day(reader, "example.com", kDay + 86400, days), std::nullopt);
  EXPECT_EQ(days.size(), 2U) << "since leaves out the first day";

  std::vector<Row> failures;
  ASSERT_EQ(recent_failures(reader, "example.com", 2, failures), std::nullopt);
  ASSERT_EQ(failures.size(), 2U) << "at most limit";
  EXPECT_EQ(failures[0], rows[5]) << "newest first, every field and DKIM result read back";
  EXPECT_EQ(failures[1].time, kDay + 13);

  EXPECT_NE(insert_rows(reader, std::vector<Row>{dashboard_row(kDay + 20, "example.com", "pass")}), std::nullopt);
  EXPECT_NE(reader.exec("DELETE FROM messages"), std::nullopt);
  std::vector<Row> all;
  ASSERT_EQ(select_rows(writer, "", 0, kDay + 2 * 86400, all), std::nullopt);
  EXPECT_EQ(all.size(), rows.size()) << "nothing written through the reader";
}

}  // namespace domainauth::store
