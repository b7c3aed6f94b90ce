// [failure_reports]: the defaults (off as OpenDMARC's FailureReports, redacted),
// every key set, and errors naming file:line:key.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace domainauth::config {
namespace {

TEST(FailureReportConfig, DefaultsOffRedactedRateLimited) {
  const auto c = defaults();
  EXPECT_FALSE(c.failure_reports.enabled);
  EXPECT_FALSE(c.failure_reports.dkim);  // as OpenDKIM's SendReports
  EXPECT_TRUE(c.failure_reports.dkim_sent_by.empty());
  EXPECT_FALSE(c.sign.request_reports);
  EXPECT_TRUE(c.failure_reports.redact);
  EXPECT_FALSE(c.failure_reports.include_body);
  EXPECT_TRUE(c.failure_reports.sent_by.empty());
  EXPECT_TRUE(c.failure_reports.bcc.empty());
  EXPECT_EQ(c.failure_reports.rate_limit, 10u);
  EXPECT_EQ(c.failure_reports.queue_limit, 100u);
  EXPECT_EQ(c.failure_reports.shutdown_timeout, std::chrono::seconds(5));
}

TEST(FailureReportConfig, EveryKeySet) {
  const auto r = load_string(R"([failure_reports]
enabled = true
dkim = true
sent_by = "DMARC <dmarc@mx.example>"
dkim_sent_by = "\"DKIM Error Postmaster\" <postmaster@example.jp>"
bcc = ["postmaster@example.com", "audit@example.jp"]
redact = false
include_body = true
rate_limit = 3
queue_limit = 7
shutdown_timeout = 1.5
[sign]
request_reports = true
)",
                             "f.toml");
  ASSERT_TRUE(r.config) << r.errors.at(0);
  const auto& f = r.config->failure_reports;
  EXPECT_TRUE(f.enabled);
  EXPECT_EQ(f.sent_by, "DMARC <dmarc@mx.example>");
  EXPECT_TRUE(f.dkim);
  EXPECT_EQ(f.dkim_sent_by, "\"DKIM Error Postmaster\" <postmaster@example.jp>");
  EXPECT_TRUE(r.config->sign.request_reports);
  EXPECT_EQ(f.bcc, (std::vector<std::string>{"postmaster@example.com", "audit@example.jp"}));
  EXPECT_FALSE(f.redact);
  EXPECT_TRUE(f.include_body);
  EXPECT_EQ(f.rate_limit, 3u);
  EXPECT_EQ(f.queue_limit, 7u);
  EXPECT_EQ(f.shutdown_timeout, std::chrono::milliseconds(1500));
}

struct BadCase {
  const char* name;
  const char* text;
  const char* error;
};

class FailureReportConfigErrors : public testing::TestWithParam<BadCase> {};

TEST_P(FailureReportConfigErrors, NameFileLineKey) {
  const auto r = load_string(GetParam().text, "f.toml");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.errors.at(0), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Bad, FailureReportConfigErrors,
    testing::Values(BadCase{"BccNotAnAddress", "[failure_reports]\nbcc = [\"postmaster\"]\n",
                            "f.toml:2: failure_reports.bcc: \"postmaster\" is not an address (local@domain)"},
                    BadCase{"SentByNoAddress", "[failure_reports]\nsent_by = \"DMARC\"\n",
                            "f.toml:2: failure_reports.sent_by: must be one line naming an address"},
                    BadCase{"DkimSentByNoAddress", "[failure_reports]\ndkim_sent_by = \"DKIM\"\n",
                            "f.toml:2: failure_reports.dkim_sent_by: must be one line naming an address"},
                    BadCase{"RateLimitZero", "[failure_reports]\nrate_limit = 0\n",
                            "f.toml:2: failure_reports.rate_limit: must be between 1 and 100000"}),
    [](const testing::TestParamInfo<BadCase>& row) { return std::string(row.param.name); });

}  // namespace
}  // namespace domainauth::config
