// Summaries of received reports (report/summary.hpp): counts are the sums of
// the records' counts; sources are judged as passing, the domain's own
// failing servers, or strangers; and p=quarantine / p=reject readiness.
#include <gtest/gtest.h>

#include "report/summary.hpp"

namespace domainauth::report {
namespace {

store::ReportedRecord rec(std::string reporter, std::string ip, std::uint64_t count, std::string dkim, std::string spf,
                          std::string spf_auth = "", std::string disposition = "none") {
  return {std::move(reporter),
          {std::move(ip), count, std::move(disposition), std::move(dkim), std::move(spf), "example.com", "", "",
           std::move(spf_auth), ""}};
}

TEST(Summary, CountsAreSumsPerSource) {
  const std::vector<store::ReportedRecord> records = {
      rec("google.com", "192.0.2.1", 10, "pass", "pass"), rec("yahoo.com", "192.0.2.1", 5, "pass", "fail"),
      rec("google.com", "198.51.100.7", 3, "fail", "fail", "", "reject"),
      rec("google.com", "198.51.100.7", 2, "fail", "fail", "", "quarantine")};
  const auto s = summarize("Example.com", records);
  EXPECT_EQ(s.domain, "example.com");
  EXPECT_EQ(s.messages, 20U);
  EXPECT_EQ(s.dmarc.pass, 15U);
  EXPECT_EQ(s.dmarc.fail, 5U);
  ASSERT_EQ(s.sources.size(), 2U);
  const auto& busiest = s.sources[0];
  EXPECT_EQ(busiest.ip, "192.0.2.1");
  EXPECT_EQ(busiest.messages, 15U);
  EXPECT_EQ(busiest.spf.pass, 10U);
  EXPECT_EQ(busiest.spf.fail, 5U);
  EXPECT_EQ(busiest.dkim.pass, 15U);
  EXPECT_EQ(busiest.reporters, (std::vector<std::string>{"google.com", "yahoo.com"}));
  EXPECT_EQ(s.sources[1].disposition.at("reject"), 3U);
  EXPECT_EQ(s.sources[1].disposition.at("quarantine"), 2U);
}

TEST(Summary, SourcesAreJudged) {
  std::vector<store::ReportedRecord> records = {
      rec("g", "192.0.2.1", 10, "pass", "pass"),                            // passing
      rec("g", "192.0.2.2", 4, "fail", "fail", "example.com=pass"),         // SPF passed, not aligned: own
      rec("g", "192.0.2.3", 2, "fail", "fail"),                             // PTR in the domain: own
      rec("g", "203.0.113.9", 7, "fail", "fail", "spammer.test=pass")};     // stranger
  auto s = summarize("example.com", records);
  for (auto& src : s.sources) {
    if (src.ip == "192.0.2.3") src.ptr = "mx2.example.com";
    if (src.ip == "203.0.113.9") src.ptr = "host.notexample.com";  // not in the domain
  }
  judge(s);
  std::map<std::string, SourceKind> kinds;
  for (const auto& src : s.sources) kinds[src.ip] = src.kind;
  EXPECT_EQ(kinds["192.0.2.1"], SourceKind::passing);
  EXPECT_EQ(kinds["192.0.2.2"], SourceKind::own_failing);
  EXPECT_EQ(kinds["192.0.2.3"], SourceKind::own_failing);
  EXPECT_EQ(kinds["203.0.113.9"], SourceKind::stranger);
  EXPECT_EQ(s.readiness.legitimate_failing, 6U);
  EXPECT_EQ(s.readiness.stranger_failing, 7U);
  EXPECT_FALSE(s.readiness.quarantine_safe);
  EXPECT_FALSE(s.readiness.reject_safe);
  EXPECT_NE(s.readiness.advice.find("would now block 6 messages"), std::string::npos) << s.readiness.advice;
}

TEST(Summary, ReadinessWhenOnlyStrangersFail) {
  auto s = summarize("example.com", std::vector{rec("g", "192.0.2.1", 10, "pass", "pass"),
                                                rec("g", "203.0.113.9", 3, "fail", "fail")});
  judge(s);
  EXPECT_TRUE(s.readiness.quarantine_safe);
  EXPECT_TRUE(s.readiness.reject_safe);
  EXPECT_NE(s.readiness.advice.find("ready"), std::string::npos);
}

TEST(Summary, SpfOnlyOwnMailMakesRejectPremature) {
  auto s = summarize("example.com", std::vector{rec("g", "192.0.2.1", 10, "fail", "pass")});
  judge(s);
  EXPECT_EQ(s.sources[0].kind, SourceKind::passing);
  EXPECT_EQ(s.readiness.dkim_unsigned_own, 10U);
  EXPECT_TRUE(s.readiness.quarantine_safe);
  EXPECT_FALSE(s.readiness.reject_safe) << "SPF alone fails once forwarded";
}

TEST(Summary, NoReportsNothingToJudge) {
  auto s = summarize("example.com", std::vector<store::ReportedRecord>{});
  judge(s);
  EXPECT_EQ(s.messages, 0U);
  EXPECT_FALSE(s.readiness.quarantine_safe);
  EXPECT_NE(s.readiness.advice.find("no reports"), std::string::npos);
}

}  // namespace
}  // namespace domainauth::report
