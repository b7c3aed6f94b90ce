// The history schema and its migrations on SQLite: versions, round trips of
// rows, reporting windows (RFC 9990 2.1.1 UTC days), the sent-reports table.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "store/database.hpp"
#include "store/queued_history.hpp"
#include "support/dashboard_reads_check.hpp"
#include "support/sent_reports_check.hpp"
#include "support/temp_db.hpp"

namespace domainauth::store {
namespace {

using testing::TempDb;

Row sample(std::int64_t time, std::string policy_domain) {
  Row row;
  row.time = time;
  row.source_ip = "192.0.2.7";
  row.header_from = "mail." + policy_domain;
  row.envelope_from = "bounce." + policy_domain;
  row.spf_result = "pass";
  row.spf_domain = "bounce." + policy_domain;
  row.spf_aligned = true;
  row.dkim = {{"pass", policy_domain, "s1", true}, {"fail", "other.example", "sel", false}};
  row.policy_domain = policy_domain;
  row.policy = {"reject", "quarantine", "none", 50, "s", "r", true, "1:d"};
  row.disposition = "none";
  row.result = "pass";
  return row;
}

TEST(ReportingWindow, CoversTheUtcDay) {
  struct Case {
    std::int64_t time, begin;
  } cases[] = {{0, 0}, {86399, 0}, {86400, 86400}, {1790000000, 1789948800}, {-1, -86400}};
  for (const auto& c : cases) {
    const auto [begin, end] = reporting_window(c.time);
    EXPECT_EQ(begin, c.begin) << c.time;
    EXPECT_EQ(end, c.begin + 86400) << c.time;
  }
}

TEST(Migrations, AreNumberedFromOneInOrder) {
  int expected = 1;
  for (const auto& m : migrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(m.statements.empty());
  }
  EXPECT_EQ(latest_schema_version(), expected - 1);
}

TEST(Migrations, BringAnEmptyDatabaseToTheLatestVersionOnce) {
  std::string why;
  const TempDb path("migrate");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  EXPECT_EQ(schema_version(*db, why), 0);
  ASSERT_EQ(migrate(*db), std::nullopt);
  EXPECT_EQ(schema_version(*db, why), latest_schema_version());
  ASSERT_EQ(migrate(*db), std::nullopt);  // nothing left to do, no duplicate tables
  std::vector<ResultRow> rows;
  ASSERT_EQ(db->execute("SELECT COUNT(*) FROM schema_version", {}, &rows), std::nullopt);
  EXPECT_EQ(rows.at(0).at(0), std::to_string(latest_schema_version()));
}

TEST(Migrations, RefuseADatabaseFromANewerProgram) {
  std::string why;
  const TempDb path("newer");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  ASSERT_EQ(migrate(*db), std::nullopt);
  const Value next[] = {std::to_string(latest_schema_version() + 1)};
  ASSERT_EQ(db->execute("INSERT INTO schema_version (version) VALUES ($1)", next, nullptr), std::nullopt);
  const auto error = migrate(*db);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("newer"), std::string::npos) << *error;
}

TEST(Rows, RoundTripWithEveryDkimResultInOrder) {
  std::string why;
  const TempDb path("roundtrip");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  ASSERT_EQ(migrate(*db), std::nullopt);
  const std::vector<Row> rows = {sample(1790000000, "example.com"), sample(1790000100, "example.org")};
  ASSERT_EQ(insert_rows(*db, rows), std::nullopt);
  std::vector<Row> out;
  ASSERT_EQ(select_rows(*db, "", 1789948800, 1789948800 + 86400, out), std::nullopt);
  EXPECT_EQ(out, rows);
}

TEST(Rows, AreSelectedByPolicyDomainAndWindow) {
  std::string why;
  const TempDb path("select");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  ASSERT_EQ(migrate(*db), std::nullopt);
  const auto day = reporting_window(1790000000).first;
  const std::vector<Row> rows = {sample(day - 1, "example.com"), sample(day, "example.com"),
                                 sample(day + 86399, "example.org"), sample(day + 86400, "example.com")};
  ASSERT_EQ(insert_rows(*db, rows), std::nullopt);
  std::vector<Row> out;
  ASSERT_EQ(select_rows(*db, "example.com", day, day + 86400, out), std::nullopt);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].time, day);
  std::vector<std::string> domains;
  ASSERT_EQ(policy_domains(*db, day, day + 86400, domains), std::nullopt);
  EXPECT_EQ(domains, (std::vector<std::string>{"example.com", "example.org"}));
}

TEST(Rows, AFailedBatchLeavesNothingBehind) {
  std::string why;
  const TempDb path("atomic");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  ASSERT_EQ(migrate(*db), std::nullopt);
  ASSERT_EQ(db->exec("DROP TABLE dkim_results"), std::nullopt);  // the second statement of a row fails
  EXPECT_TRUE(insert_rows(*db, std::vector<Row>{sample(1790000000, "example.com")}));
  std::vector<ResultRow> count;
  ASSERT_EQ(db->execute("SELECT COUNT(*) FROM messages", {}, &count), std::nullopt);
  EXPECT_EQ(count.at(0).at(0), "0");
}

TEST(Sqlite, TheDashboardsReadsThroughAReadOnlyConnection) {
  const TempDb path("schema-reader");
  Settings settings;
  settings.sqlite_path = path;
  std::string why;
  auto writer = connect(settings, why);  // opened and migrated
  ASSERT_TRUE(writer) << why;
  auto reader = connect_reader(settings, std::chrono::seconds(1), why);
  ASSERT_TRUE(reader) << why;
  check_dashboard_reads(*writer, *reader);
}

TEST(Sqlite, AReaderConnectionCreatesNoFile) {
  const TempDb path("schema-reader-none");
  Settings settings;
  settings.sqlite_path = path;
  std::string why;
  EXPECT_FALSE(connect_reader(settings, std::chrono::seconds(1), why));
  EXPECT_NE(why.find("no history yet"), std::string::npos) << why;
  EXPECT_FALSE(std::filesystem::exists(settings.sqlite_path));
}

TEST(Sqlite, ReportsAnUnopenableFile) {
  std::string why;
  EXPECT_FALSE(open_sqlite("/nonexistent-dir/history.sqlite", why));
  EXPECT_NE(why.find("/nonexistent-dir/history.sqlite"), std::string::npos) << why;
}

// The connection keeps its prepared statements (32 at most, then it starts
// afresh): many distinct ones, each run again with other values, give the
// values of their own run, never those bound before.
TEST(Sqlite, KeptStatementsGiveEachRunItsOwnValues) {
  std::string why;
  const TempDb path("kept");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  for (int round = 0; round < 2; ++round) {
    for (int n = 0; n < 40; ++n) {
      const Value value[] = {std::to_string(round * 1000 + n)};
      std::vector<ResultRow> rows;
      ASSERT_EQ(db->execute("SELECT $1 + " + std::to_string(n), value, &rows), std::nullopt);
      ASSERT_EQ(rows.size(), 1u);
      EXPECT_EQ(rows[0].at(0), std::to_string(round * 1000 + 2 * n));
    }
  }
  const Value null[] = {std::nullopt};
  std::vector<ResultRow> rows;
  ASSERT_EQ(db->execute("SELECT $1 + 0", null, &rows), std::nullopt);
  EXPECT_EQ(rows.at(0).at(0), std::nullopt);
}

// WAL with synchronous=NORMAL (docs/architecture.md: what a crash may lose).
TEST(Sqlite, RunsWalWithNormalSync) {
  std::string why;
  const TempDb path("sync");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  std::vector<ResultRow> mode, sync;
  ASSERT_EQ(db->execute("PRAGMA journal_mode", {}, &mode), std::nullopt);
  ASSERT_EQ(db->execute("PRAGMA synchronous", {}, &sync), std::nullopt);
  EXPECT_EQ(mode.at(0).at(0), "wal");
  EXPECT_EQ(sync.at(0).at(0), "1");  // NORMAL
}

TEST(Migrations, Version1RowsGetAnEmptyFoAfterVersion2) {
  std::string why;
  const TempDb path("v1");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  ASSERT_EQ(db->exec("CREATE TABLE schema_version (version INTEGER NOT NULL)"), std::nullopt);
  for (auto statement : migrations()[0].statements) ASSERT_EQ(db->exec(statement), std::nullopt);
  ASSERT_EQ(db->exec("INSERT INTO schema_version (version) VALUES (1)"), std::nullopt);
  ASSERT_EQ(db->exec("INSERT INTO messages VALUES ('a', 1790000000, 1789948800, 1790035200, '192.0.2.1',"
                     " 'example.com', '', 'none', '', 0, 'example.com', 'none', '', '', 100, 'r', 'r', 0, 'none',"
                     " 'fail')"),
            std::nullopt);
  ASSERT_EQ(migrate(*db), std::nullopt);
  std::vector<Row> out;
  ASSERT_EQ(select_rows(*db, "", 1789948800, 1790035200, out), std::nullopt);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].policy.fo, "");
}

TEST(SentReports, APeriodIsSentOncePerDestination) {
  std::string why;
  const TempDb path("sent");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  check_sent_once_per_destination(*db);
}

}  // namespace
}  // namespace domainauth::store
