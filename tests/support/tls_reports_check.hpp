// The tls_reports contract (store/tls_reports.hpp) checked on any backend, so
// SQLite (unit test) and PostgreSQL (e2e) run the same assertions: a report is
// stored once per organization and report id with its policies and failure
// details, and summed per organization for a policy domain and period.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "store/ingested.hpp"
#include "store/tls_reports.hpp"

namespace domainauth::store {

inline TlsReport tls_sample(std::string org, std::string id, std::int64_t end) {
  TlsReport r{std::move(org), std::move(id), "tlsrpt@sender.example", end - 86399, end, {}};
  r.policies.push_back({"sts", "version: STSv1\nmode: enforce", "example.com", "mx1.example.com", 100, 7,
                        {{"certificate-expired", "192.0.2.9", "mx1.example.com", "198.51.100.1", 5, ""},
                         {"starttls-not-supported", "192.0.2.10", "mx1.example.com", "", 2, "X"}}});
  r.policies.push_back({"no-policy-found", "", "example.org", "", 50, 1,
                        {{"certificate-expired", "192.0.2.9", "mx.example.org", "", 1, ""}}});
  return r;
}

inline void check_tls_reports(Database& db) {
  ASSERT_EQ(migrate(db), std::nullopt);
  StoreOutcome outcome{};
  ASSERT_EQ(store_tls_report(db, tls_sample("Google", "r1", 1000000), 5, outcome), std::nullopt);
  EXPECT_EQ(outcome, StoreOutcome::stored);
  ASSERT_EQ(store_tls_report(db, tls_sample("Google", "r1", 1000000), 6, outcome), std::nullopt);
  EXPECT_EQ(outcome, StoreOutcome::duplicate) << "the same organization and id";
  for (const auto& r : {tls_sample("Google", "r2", 2000000), tls_sample("Microsoft", "r1", 2000000)}) {
    ASSERT_EQ(store_tls_report(db, r, 7, outcome), std::nullopt);
    EXPECT_EQ(outcome, StoreOutcome::stored);
  }
  std::vector<TlsOrgSummary> orgs;
  ASSERT_EQ(tls_summary(db, "example.com", 0, orgs), std::nullopt);
  ASSERT_EQ(orgs.size(), 2U);
  EXPECT_EQ(orgs[0].org_name, "Google");
  EXPECT_EQ(orgs[0].reports, 2U);
  EXPECT_EQ(orgs[0].successful, 200U);
  EXPECT_EQ(orgs[0].failed, 14U);
  EXPECT_EQ(orgs[0].result_types,
            (std::map<std::string, std::uint64_t>{{"certificate-expired", 10}, {"starttls-not-supported", 4}}))
      << "example.org's failure details are not example.com's";
  EXPECT_EQ(orgs[1].org_name, "Microsoft");
  EXPECT_EQ(orgs[1].reports, 1U);
  orgs.clear();
  ASSERT_EQ(tls_summary(db, "example.com", 1000001, orgs), std::nullopt);
  ASSERT_EQ(orgs.size(), 2U);
  EXPECT_EQ(orgs[0].reports, 1U) << "only the report ending after since";
  std::vector<ResultRow> rows;
  ASSERT_EQ(db.execute("SELECT policy_string FROM tls_policies WHERE policy_type = 'sts' ORDER BY report LIMIT 1", {},
                       &rows),
            std::nullopt);
  EXPECT_EQ(rows.at(0).at(0), std::optional<std::string>("version: STSv1\nmode: enforce"));
  IngestCounts counts;
  ASSERT_EQ(ingest_counts(db, counts), std::nullopt);
  EXPECT_EQ(counts.tls, 3U);
}

}  // namespace domainauth::store
