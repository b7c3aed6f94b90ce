// Received aggregate reports in the history (store/ingested.hpp): stored once
// per reporter and report id, records read back by policy domain and date.
#include <gtest/gtest.h>

#include "store/ingested.hpp"
#include "support/failure_reports_check.hpp"
#include "support/ingested_sample.hpp"
#include "support/tls_reports_check.hpp"
#include "support/temp_db.hpp"

namespace domainauth::store {
namespace {

using testing::TempDb;

IngestedReport sample(std::string org, std::string id, std::int64_t end) {
  return testing::sample_report(std::move(org), std::move(id), end);
}

std::unique_ptr<Database> open(const std::string& path) {
  std::string why;
  auto db = open_sqlite(path, why);
  EXPECT_TRUE(db) << why;
  EXPECT_EQ(migrate(*db), std::nullopt);
  return db;
}

TEST(Ingested, AReportIsStoredOncePerReporterAndId) {
  const TempDb path("ingested-once");
  auto db = open(path);
  StoreOutcome outcome{};
  ASSERT_EQ(store_ingested(*db, sample("google.com", "1", 1000000), 5, outcome), std::nullopt);
  EXPECT_EQ(outcome, StoreOutcome::stored);
  ASSERT_EQ(store_ingested(*db, sample("google.com", "1", 1000000), 6, outcome), std::nullopt);
  EXPECT_EQ(outcome, StoreOutcome::duplicate);
  ASSERT_EQ(store_ingested(*db, sample("yahoo.com", "1", 1000000), 7, outcome), std::nullopt);
  EXPECT_EQ(outcome, StoreOutcome::stored) << "the same id from another reporter is another report";
  std::vector<ReportedRecord> records;
  ASSERT_EQ(ingested_records(*db, "example.com", 0, records), std::nullopt);
  ASSERT_EQ(records.size(), 4U);
  EXPECT_EQ(records[0].reporter, "google.com");
  EXPECT_EQ(records[0].record, sample("", "", 0).records[0]) << "every field read back as written";
  EXPECT_EQ(records[1].reporter, "yahoo.com");
  EXPECT_EQ(records[3].record.reasons, "local_policy");
}

TEST(Ingested, RecordsAreSelectedByDomainAndEndOfDateRange) {
  const TempDb path("ingested-select");
  auto db = open(path);
  StoreOutcome outcome{};
  auto other = sample("r", "other-domain", 2000000);
  other.policy_domain = "example.org";
  for (const auto& r : {sample("r", "old", 1000000), sample("r", "new", 2000000), other}) {
    ASSERT_EQ(store_ingested(*db, r, 0, outcome), std::nullopt);
  }
  std::vector<ReportedRecord> records;
  ASSERT_EQ(ingested_records(*db, "example.com", 1000001, records), std::nullopt);
  EXPECT_EQ(records.size(), 2U) << "only the report ending after since, only example.com";
  records.clear();
  ASSERT_EQ(ingested_records(*db, "example.com", 1000000, records), std::nullopt);
  EXPECT_EQ(records.size(), 4U) << "a report ending at since counts";
}

TEST(FailureReports, StoredOncePerKeyAndReadNewestFirst) {
  const TempDb path("failure-reports");
  auto db = open(path);
  check_failure_reports(*db);
}

TEST(TlsReports, StoredOncePerOrganizationAndIdAndSummed) {
  const TempDb path("tls-reports");
  auto db = open(path);
  check_tls_reports(*db);
}

TEST(Ingested, CountsForMetrics) {
  const TempDb path("ingested-counts");
  auto db = open(path);
  IngestCounts counts;
  ASSERT_EQ(ingest_counts(*db, counts), std::nullopt);
  EXPECT_EQ(counts.stored, 0U);
  EXPECT_EQ(counts.refused, 0U);
  StoreOutcome outcome{};
  for (const auto& r : {sample("a", "1", 1000000), sample("a", "1", 1000000), sample("b", "1", 1000000)}) {
    ASSERT_EQ(store_ingested(*db, r, 0, outcome), std::nullopt);
  }
  ASSERT_EQ(record_refused(*db, 1790000000, 2, "x.zip: not a zip"), std::nullopt);
  ASSERT_EQ(record_refused(*db, 1790000001, 1, "y: no DMARC aggregate report found"), std::nullopt);
  ASSERT_EQ(record_refused(*db, 1790086400, 4, "z"), std::nullopt);
  ASSERT_EQ(ingest_counts(*db, counts), std::nullopt);
  EXPECT_EQ(counts.stored, 2U) << "the duplicate is not counted";
  EXPECT_EQ(counts.refused, 7U);
  std::vector<ResultRow> rows;
  ASSERT_EQ(db->execute("SELECT day, refused, last_error FROM ingest_refusals ORDER BY day", {}, &rows), std::nullopt);
  ASSERT_EQ(rows.size(), 2U) << "one row per UTC day";
  EXPECT_EQ(rows[0][1], std::optional<std::string>("3"));
  EXPECT_EQ(rows[0][2], std::optional<std::string>("y: no DMARC aggregate report found")) << "the last reason";
}

TEST(Ingested, AFailingRecordLeavesNothingOfItsReport) {
  const TempDb path("ingested-atomic");
  auto db = open(path);
  // The records cannot be written (their table is gone): the report row goes too.
  ASSERT_EQ(db->exec("DROP TABLE ingested_records"), std::nullopt);
  StoreOutcome outcome{};
  EXPECT_NE(store_ingested(*db, sample("r", "1", 1000000), 0, outcome), std::nullopt);
  std::vector<ResultRow> rows;
  ASSERT_EQ(db->execute("SELECT COUNT(*) FROM ingested_reports", {}, &rows), std::nullopt);
  EXPECT_EQ(rows.at(0).at(0), std::optional<std::string>("0")) << "the report row was rolled back";
}

}  // namespace
}  // namespace domainauth::store
