// The dashboard's pages through web::Router against a real SQLite history
// (web/dashboard.hpp): /api/summary is report summary's object for the same
// records (with the failure reports received counted), /api/timeline reads the
// reports and the history, /api/failures the failure reports received and the
// history's failures, /api/tls the TLS reports per organization,
// /api/domains joins the configured and the reported domains, bad parameters
// are 400, an unreachable history 503; the page and Chart.js are served.
#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <ctime>
#include <nlohmann/json.hpp>

#include "report/summary.hpp"
#include "report/summary_json.hpp"
#include "store/failure_reports.hpp"
#include "store/ingested.hpp"
#include "store/queued_history.hpp"
#include "store/tls_reports.hpp"
#include "support/failure_reports_check.hpp"
#include "support/ingested_sample.hpp"
#include "support/tls_reports_check.hpp"
#include "support/temp_db.hpp"
#include "web/dashboard.hpp"

namespace domainauth::web {
namespace {

using Json = nlohmann::json;

const std::int64_t kNow = std::time(nullptr);
const std::int64_t kYesterday = store::reporting_window(kNow).first - store::kReportInterval;

// A report of 10 messages (7 pass, 3 fail) covering the day that begins at begin.
store::IngestedReport report(std::string org, std::string id, std::int64_t begin) {
  return store::testing::sample_report(std::move(org), std::move(id), begin + store::kReportInterval - 1);
}

store::Row row(std::int64_t time, std::string result, std::string ip) {
  store::Row r;
  r.time = time;
  r.source_ip = std::move(ip);
  r.header_from = r.policy_domain = "example.com";
  r.envelope_from = "bulk.test";
  r.spf_result = result;
  r.spf_domain = "bulk.test";
  r.dkim = {{result, "bulk.test", "s1", false}};
  r.policy.p = "reject";
  r.disposition = result == "pass" ? "none" : "reject";
  r.result = std::move(result);
  return r;
}

class Dashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.sqlite_path = path_;
    std::string why;
    auto db = store::connect(settings_, why);
    ASSERT_TRUE(db) << why;
    store::StoreOutcome outcome{};
    for (const auto& r : {report("google.com", "1", kYesterday), report("yahoo.com", "1", kYesterday),
                          report("google.com", "old", kYesterday - 40 * store::kReportInterval)}) {
      ASSERT_EQ(store::store_ingested(*db, r, kNow, outcome), std::nullopt);
    }
    ASSERT_EQ(store::insert_rows(*db, std::vector<store::Row>{row(kYesterday + 5, "pass", "192.0.2.1"),
                                                              row(kYesterday + 6, "fail", "203.0.113.1"),
                                                              row(kYesterday + 7, "fail", "203.0.113.2")}),
              std::nullopt);
    // Failure reports: two yesterday, one 40 days ago, one for another domain.
    for (const auto& f : {store::failure_sample("k1", "example.com", kYesterday + 10),
                          store::failure_sample("k2", "example.com", kYesterday + 20),
                          store::failure_sample("k-old", "example.com", kYesterday - 40 * store::kReportInterval),
                          store::failure_sample("k-other", "example.org", kYesterday)}) {
      ASSERT_EQ(store::store_failure_report(*db, f, kNow, outcome), std::nullopt);
    }
    // TLS reports: two of Google (one 40 days old), one of Microsoft.
    for (const auto& t : {store::tls_sample("Google", "t1", kYesterday + store::kReportInterval - 1),
                          store::tls_sample("Google", "t-old", kYesterday - 40 * store::kReportInterval),
                          store::tls_sample("Microsoft", "m1", kYesterday + store::kReportInterval - 1)}) {
      ASSERT_EQ(store::store_tls_report(*db, t, kNow, outcome), std::nullopt);
    }
    start(settings_);
  }

  void start(const store::Settings& settings) {
    reader_ = std::make_shared<StoreReader>(io_.get_executor(), settings);
    router_ = std::make_unique<Router>("");
    add_dashboard(*router_, reader_, {settings, {"signed.example", "example.com"}, nullptr});
  }

  void TearDown() override { reader_->stop(); }

  Response get(const std::string& target) {
    std::optional<Response> out;
    router_->answer(parse_request("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n"),
                    [&out](Response r) { out = std::move(r); });
    io_.restart();  // a run that ran out of work left it stopped
    auto guard = asio::make_work_guard(io_);
    for (int i = 0; i < 50 && !out; ++i) io_.run_one_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(out) << target << " answered";
    return out.value_or(Response{});
  }

  Json get_json(const std::string& target) {
    const auto r = get(target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return Json::parse(r.body, nullptr, false);
  }

  store::testing::TempDb path_{"web-dashboard"};
  store::Settings settings_;
  asio::io_context io_;
  std::shared_ptr<StoreReader> reader_;
  std::unique_ptr<Router> router_;
};

TEST_F(Dashboard, SummaryIsReportSummarysObject) {
  std::string why;
  auto db = store::connect(settings_, why);
  ASSERT_TRUE(db) << why;
  const auto since = report::period_start(kNow, 7);
  std::vector<store::ReportedRecord> records;
  ASSERT_EQ(store::ingested_records(*db, "example.com", since, records), std::nullopt);
  auto summary = report::summarize("example.com", records);
  report::judge(summary);
  summary.failure_reports = 2;
  const auto got = get_json("/api/summary?domain=Example.COM&days=7");
  EXPECT_EQ(got, report::summary_json(summary, 7, since)) << "the two recent failure reports counted";
  EXPECT_EQ(got["messages"], 20) << "two reports of 10 in the period; the old one is not";
  EXPECT_EQ(get_json("/api/summary?domain=example.com&days=60")["messages"], 30);
  EXPECT_EQ(get_json("/api/summary?domain=example.com")["days"], 7) << "7 days by default";
}

TEST_F(Dashboard, TimelineOfReportsAndHistory) {
  const auto got = get_json("/api/timeline?domain=example.com&days=7");
  char day[16];
  const std::time_t t = kYesterday;
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
  EXPECT_EQ(got["reports"], Json::parse(R"([{"day":")" + std::string(day) + R"(","pass":14,"fail":6}])"));
  EXPECT_EQ(got["history"],
            Json::parse(R"([{"day":")" + std::string(day) + R"(","results":{"fail":2,"pass":1}}])"));
}

TEST_F(Dashboard, FailuresNewestFirst) {
  const auto got = get_json("/api/failures?domain=example.com");
  EXPECT_EQ(got["days"], 7);
  ASSERT_EQ(got["history"].size(), 2U);
  EXPECT_EQ(got["history"][0]["source_ip"], "203.0.113.2");
  EXPECT_EQ(got["history"][0]["disposition"], "reject");
  EXPECT_EQ(got["history"][0]["dkim"][0]["domain"], "bulk.test");
  EXPECT_EQ(got["history"][1]["source_ip"], "203.0.113.1");
  ASSERT_EQ(got["received"].size(), 2U) << "the period's, example.com's only";
  EXPECT_EQ(got["received"][0]["time"], kYesterday + 20);
  EXPECT_EQ(got["received"][1]["time"], kYesterday + 10);
  const auto& r = got["received"][0];
  EXPECT_EQ(r["reporter"], "mx.google.test");
  EXPECT_EQ(r["source_ip"], "203.0.113.9");
  EXPECT_EQ(r["auth_failure"], "dmarc");
  EXPECT_EQ(r["envelope_from"], "<bounce@forger.test>");
  EXPECT_EQ(r["header_from"], "\"Payroll\" <payroll@example.com>");
  EXPECT_EQ(r["delivery_result"], "reject");
  EXPECT_EQ(r["dkim"], Json::parse(R"({"domain":"forger.test","selector":"s1"})"));
  EXPECT_EQ(get_json("/api/failures?domain=example.com&days=60")["received"].size(), 3U);
}

TEST_F(Dashboard, TlsReportsPerOrganization) {
  const auto got = get_json("/api/tls?domain=example.com&days=7");
  EXPECT_EQ(got["organizations"], Json::parse(R"([
    {"organization": "Google", "reports": 1, "successful": 100, "failed": 7,
     "result_types": {"certificate-expired": 5, "starttls-not-supported": 2}},
    {"organization": "Microsoft", "reports": 1, "successful": 100, "failed": 7,
     "result_types": {"certificate-expired": 5, "starttls-not-supported": 2}}])"));
  EXPECT_EQ(get_json("/api/tls?domain=example.com&days=60")["organizations"][0]["reports"], 2);
  EXPECT_EQ(get_json("/api/tls?domain=nothing.example")["organizations"], Json::array());
}

TEST_F(Dashboard, DomainsConfiguredAndReported) {
  EXPECT_EQ(get_json("/api/domains")["domains"], Json::parse(R"(["example.com","example.org","signed.example"])"))
      << "example.org from a failure report and a TLS report";
}

TEST_F(Dashboard, BadParametersAre400) {
  for (const auto* target : {"/api/summary", "/api/summary?domain=", "/api/summary?domain=a%20b",
                             "/api/summary?domain=a%3Cscript%3E", "/api/timeline?domain=example.com&days=0",
                             "/api/timeline?domain=example.com&days=3661", "/api/summary?domain=example.com&days=7x",
                             "/api/failures?days=7", "/api/tls?domain=example.com&days=-1"}) {
    EXPECT_EQ(get(target).status, 400) << target;
  }
}

TEST_F(Dashboard, AnUnreachableHistoryIs503) {
  reader_->stop();
  store::Settings gone = settings_;
  gone.sqlite_path = "/nonexistent-domainauth-dir/history.sqlite";
  start(gone);
  const auto r = get("/api/summary?domain=example.com");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("history"), std::string::npos) << r.body;
}

TEST_F(Dashboard, PageScriptAndChartJs) {
  const auto page = get("/dashboard");
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<canvas id=\"reports-chart\""), std::string::npos);
  EXPECT_EQ(get("/").body, page.body);
  const auto chart = get("/chart.js");
  EXPECT_EQ(chart.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(chart.body.find("Chart.js v3"), std::string::npos);
  EXPECT_GT(chart.body.size(), 100000U);
  EXPECT_NE(get("/dashboard.js").body.find("/api/summary"), std::string::npos);
}

}  // namespace
}  // namespace domainauth::web
