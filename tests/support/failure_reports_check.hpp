// The failure_reports contract (store/failure_reports.hpp) checked on any
// backend, so SQLite (unit test) and PostgreSQL (e2e) run the same
// assertions: a report is stored once per dedup key, every field reads back as
// written, reads are by domain and time, newest first and limited, the count
// for report summary and the one for /metrics agree.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "store/failure_reports.hpp"
#include "store/ingested.hpp"

namespace domainauth::store {

inline FailureReport failure_sample(std::string key, std::string domain, std::int64_t time) {
  return {.key = std::move(key),
          .reporter = "mx.google.test",
          .reported_domain = std::move(domain),
          .time = time,
          .arrival_date = "Mon, 07 Dec 2026 08:59:01 -0800",
          .auth_failure = "dmarc",
          .source_ip = "203.0.113.9",
          .original_mail_from = "<bounce@forger.test>",
          .original_rcpt_to = "<alice@gmail.test>, <bob@gmail.test>",
          .authentication_results = "mx.google.test; dmarc=fail header.from=example.com",
          .dkim_domain = "forger.test",
          .dkim_identity = "@forger.test",
          .dkim_selector = "s1",
          .spf_dns = "txt : forger.test : \"v=spf1 -all\"",
          .identity_alignment = "dkim, spf",
          .delivery_result = "reject",
          .reporting_mta = "dns; mx.google.test",
          .header_from = "\"Payroll\" <payroll@example.com>",
          .subject = "Your salary slip \xE2\x82\xAC",
          .message_id = "<fake.1234@forger.test>",
          .date = "Mon, 07 Dec 2026 17:58:59 +0000"};
}

inline void check_failure_reports(Database& db) {
  ASSERT_EQ(migrate(db), std::nullopt);
  StoreOutcome outcome{};
  const auto first = failure_sample("event:1", "example.com", 1000);
  ASSERT_EQ(store_failure_report(db, first, 5000, outcome), std::nullopt);
  EXPECT_EQ(outcome, StoreOutcome::stored);
  auto again = first;
  again.subject = "another wording, the same key";
  ASSERT_EQ(store_failure_report(db, again, 5001, outcome), std::nullopt);
  EXPECT_EQ(outcome, StoreOutcome::duplicate) << "the same key is stored once";
  for (const auto& r : {failure_sample("event:2", "example.com", 3000), failure_sample("event:3", "example.com", 2000),
                        failure_sample("event:4", "example.org", 4000)}) {
    ASSERT_EQ(store_failure_report(db, r, 5002, outcome), std::nullopt);
    EXPECT_EQ(outcome, StoreOutcome::stored);
  }
  std::vector<FailureReport> read;
  ASSERT_EQ(failure_reports(db, "example.com", 0, 10, read), std::nullopt);
  ASSERT_EQ(read.size(), 3U) << "example.com only";
  EXPECT_EQ(read[0].key, "event:2") << "newest first";
  EXPECT_EQ(read[1].key, "event:3");
  EXPECT_EQ(read[2], first) << "every field read back as written";
  read.clear();
  ASSERT_EQ(failure_reports(db, "example.com", 2000, 1, read), std::nullopt);
  ASSERT_EQ(read.size(), 1U) << "limited";
  EXPECT_EQ(read[0].key, "event:2");
  std::uint64_t count = 0;
  ASSERT_EQ(count_failure_reports(db, "example.com", 2000, count), std::nullopt);
  EXPECT_EQ(count, 2U) << "time at or after since";
  IngestCounts counts;
  ASSERT_EQ(ingest_counts(db, counts), std::nullopt);
  EXPECT_EQ(counts.failures, 4U) << "every domain, the duplicate not counted";
}

}  // namespace domainauth::store
