// The history schema, migrations and queued writer on a real PostgreSQL (run.py
// starts it): the same interface and SQL as SQLite, so several hosts can share it;
// the dashboard's read-only reader and report ingest's refusal counts too.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "store/ingested.hpp"
#include "store/queued_history.hpp"
#include "support/dashboard_reads_check.hpp"
#include "support/failure_reports_check.hpp"
#include "support/tls_reports_check.hpp"
#include "support/retention_check.hpp"
#include "support/sent_reports_check.hpp"

namespace domainauth::store {
namespace {

using namespace std::chrono_literals;

std::string conninfo() {
  const char* text = std::getenv("DOMAINAUTH_POSTGRESQL");
  return text ? text : "";
}

std::unique_ptr<Database> fresh(std::string& why) {
  auto db = open_postgresql(conninfo(), why);
  if (!db) return nullptr;
  for (auto table :
       {"tls_failures", "tls_policies", "tls_reports", "failure_reports", "ingest_refusals", "ingested_records", "ingested_reports", "sent_reports", "dkim_results", "messages",
        "schema_version"}) {
    if (auto error = db->exec("DROP TABLE IF EXISTS " + std::string(table))) {
      why = *error;
      return nullptr;
    }
  }
  return db;
}

// fresh(), migrated to the latest schema.
std::unique_ptr<Database> migrated(std::string& why) {
  auto db = fresh(why);
  if (!db) return nullptr;
  if (auto error = migrate(*db)) {
    why = *error;
    return nullptr;
  }
  return db;
}

Row sample(std::int64_t time) {
  Row row;
  row.time = time;
  row.source_ip = "2001:db8::25";
  row.header_from = "example.com";
  row.envelope_from = "example.net";
  row.spf_result = "softfail";
  row.spf_domain = "example.net";
  row.dkim = {{"pass", "example.com", "s1", true}, {"permerror", "example.org", "x", false}};
  row.policy_domain = "example.com";
  row.policy = {"quarantine", "", "", 100, "r", "s", false, "0"};
  row.disposition = "none";
  row.result = "pass";
  return row;
}

// Received reports: ON CONFLICT ... RETURNING tells a re-sent report apart on PostgreSQL too.
TEST(Postgresql, IngestedReportsAreStoredOnce) {
  std::string why;
  auto db = migrated(why);
  ASSERT_TRUE(db) << why;
  IngestedReport report;
  report.org_name = "google.com";
  report.report_id = "42";
  report.begin = 1789862400;
  report.end = 1789948799;
  report.policy_domain = "example.com";
  report.format = "rfc9990";
  report.records = {{"192.0.2.1", 9, "none", "pass", "fail", "example.com", "", "example.com=pass", "", ""}};
  StoreOutcome outcome{};
  ASSERT_EQ(store_ingested(*db, report, 1, outcome), std::nullopt);
  EXPECT_EQ(outcome, StoreOutcome::stored);
  ASSERT_EQ(store_ingested(*db, report, 2, outcome), std::nullopt);
  EXPECT_EQ(outcome, StoreOutcome::duplicate);
  std::vector<ReportedRecord> records;
  ASSERT_EQ(ingested_records(*db, "example.com", 0, records), std::nullopt);
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].record, report.records[0]);
}

// report ingest's refusals: the per-day upsert (ON CONFLICT DO UPDATE) and the counts /metrics reads.
TEST(Postgresql, IngestRefusalsAreCountedPerDay) {
  std::string why;
  auto db = migrated(why);
  ASSERT_TRUE(db) << why;
  ASSERT_EQ(record_refused(*db, 1790000000, 2, "a"), std::nullopt);
  ASSERT_EQ(record_refused(*db, 1790000001, 1, "b"), std::nullopt);
  ASSERT_EQ(record_refused(*db, 1790086400, 4, "c"), std::nullopt);
  IngestCounts counts;
  ASSERT_EQ(ingest_counts(*db, counts), std::nullopt);
  EXPECT_EQ(counts.refused, 7U);
  EXPECT_EQ(counts.stored, 0U);
  std::vector<ResultRow> rows;
  ASSERT_EQ(db->execute("SELECT refused, last_error FROM ingest_refusals ORDER BY day", {}, &rows), std::nullopt);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0][0], std::optional<std::string>("3"));
  EXPECT_EQ(rows[0][1], std::optional<std::string>("b"));
}

// Received failure reports (schema version 5): the same contract as on SQLite.
TEST(Postgresql, FailureReportsAreStoredOncePerKey) {
  std::string why;
  auto db = fresh(why);
  ASSERT_TRUE(db) << why;
  check_failure_reports(*db);
}

// Received SMTP TLS reports (schema version 6): the same contract as on SQLite.
TEST(Postgresql, TlsReportsAreStoredOnceAndSummed) {
  std::string why;
  auto db = fresh(why);
  ASSERT_TRUE(db) << why;
  check_tls_reports(*db);
}

// The dashboard's reader: read-only transactions with a statement timeout.
TEST(Postgresql, TheDashboardsReadsThroughAReadOnlyConnection) {
  std::string why;
  auto db = migrated(why);
  ASSERT_TRUE(db) << why;
  Settings settings;
  settings.backend = Backend::postgresql;
  settings.postgresql = conninfo();
  auto reader = connect_reader(settings, 2s, why);
  ASSERT_TRUE(reader) << why;
  check_dashboard_reads(*db, *reader);
}

TEST(Postgresql, MigratesOnceAndRoundTripsRows) {
  std::string why;
  auto db = migrated(why);
  ASSERT_TRUE(db) << why;
  ASSERT_EQ(migrate(*db), std::nullopt);
  EXPECT_EQ(schema_version(*db, why), latest_schema_version());
  const std::vector<Row> rows = {sample(1790000000), sample(1790000001)};
  ASSERT_EQ(insert_rows(*db, rows), std::nullopt);
  std::vector<Row> out;
  ASSERT_EQ(select_rows(*db, "example.com", 1789948800, 1789948800 + 86400, out), std::nullopt);
  EXPECT_EQ(out, rows);
  std::vector<std::string> domains;
  ASSERT_EQ(policy_domains(*db, 1789948800, 1789948800 + 86400, domains), std::nullopt);
  EXPECT_EQ(domains, std::vector<std::string>{"example.com"});
}

// Several hosts starting at once on an empty database: the advisory lock lets
// one migrate while the others wait and then find the schema current.
TEST(Postgresql, ConcurrentFirstMigrationsAreSerialized) {
  std::string why;
  ASSERT_TRUE(fresh(why)) << why;
  constexpr int kHosts = 6;
  std::vector<std::unique_ptr<Database>> hosts;
  for (int i = 0; i < kHosts; ++i) {
    hosts.push_back(open_postgresql(conninfo(), why));
    ASSERT_TRUE(hosts.back()) << why;
  }
  std::vector<std::optional<std::string>> results(kHosts);
  std::vector<std::thread> threads;
  for (int i = 0; i < kHosts; ++i) threads.emplace_back([&, i] { results[i] = migrate(*hosts[i]); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kHosts; ++i) EXPECT_EQ(results[i], std::nullopt) << "host " << i;
  std::vector<ResultRow> rows;
  ASSERT_EQ(hosts[0]->execute("SELECT COUNT(*) FROM schema_version", {}, &rows), std::nullopt);
  EXPECT_EQ(rows.at(0).at(0), std::to_string(latest_schema_version()));  // each version recorded once
}

TEST(Postgresql, QueuedHistoryWritesThroughTheConfiguredBackend) {
  std::string why;
  ASSERT_TRUE(fresh(why)) << why;
  Settings settings;
  settings.backend = Backend::postgresql;
  settings.postgresql = conninfo();
  auto history = make_history(settings);
  ASSERT_TRUE(history);
  for (int i = 0; i < 300; ++i) history->record(sample(1790000000 + i));
  ASSERT_TRUE(history->flush(30s));
  EXPECT_EQ(history->stats().written, 300u);
  auto db = open_postgresql(conninfo(), why);
  ASSERT_TRUE(db) << why;
  std::vector<Row> out;
  ASSERT_EQ(select_rows(*db, "", 0, 1LL << 40, out), std::nullopt);
  EXPECT_EQ(out.size(), 300u);
}

TEST(Postgresql, AnUnreachableServerDropsRowsBeyondTheLimitWithoutBlocking) {
  Settings settings;
  settings.backend = Backend::postgresql;
  settings.postgresql = "host=127.0.0.1 port=1 user=domainauth dbname=postgres connect_timeout=2";
  settings.queue_limit = 3;
  auto history = make_history(settings);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) history->record(sample(i));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(history->stats().dropped, 7u);
  EXPECT_EQ(history->stats().written, 0u);
}

TEST(Postgresql, SentReportsRecordEachDestinationOnceAndForcedResendsUpdate) {
  std::string why;
  auto db = fresh(why);
  ASSERT_TRUE(db) << why;
  check_sent_once_per_destination(*db);
}

TEST(Postgresql, RetentionDeletesWholeOldDaysInBatchesAndKeepsTheRecordOfKeptDays) {
  std::string why;
  auto db = fresh(why);
  ASSERT_TRUE(db) << why;
  check_retention_deletes_whole_old_days_in_batches(*db);
}

}  // namespace
}  // namespace domainauth::store
