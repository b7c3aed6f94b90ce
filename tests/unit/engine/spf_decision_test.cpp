// SPF result -> verdict table (RFC 7208 8.4 fail reject, 8.6 temperror 451 4.4.3,
// RFC 7372 5.7.23 / 5.7.24), per identity, HELO first.
#include <gtest/gtest.h>

#include "engine/spf_decision.hpp"

namespace domainauth::engine {
namespace {

spf::Outcome outcome(spf::Result result, spf::Identity identity = spf::Identity::mailfrom) {
  spf::Outcome o;
  o.result = result;
  o.identity = identity;
  o.domain = "example.com";
  o.reason = "reason for " + std::string(spf::to_string(result));
  if (result == spf::Result::fail) o.explanation = "example.com does not designate 192.0.2.1";
  return o;
}

struct Case {
  const char* name;
  spf::Result mail_from;
  SpfVerdict verdict;
  const char* reply;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }


class DefaultPolicy : public ::testing::TestWithParam<Case> {};

TEST_P(DefaultPolicy, MailFromResult) {
  const auto& c = GetParam();
  const auto decision = decide_spf(SpfPolicy{}, nullptr, outcome(c.mail_from));
  EXPECT_EQ(decision.verdict, c.verdict) << to_string(decision.verdict);
  EXPECT_EQ(decision.smtp_reply, c.reply);
  EXPECT_EQ(decision.identity, spf::Identity::mailfrom);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7208Section8, DefaultPolicy,
    ::testing::Values(
        Case{"pass", spf::Result::pass, SpfVerdict::accept, ""},
        Case{"fail_rejects_with_explanation_rfc7208_8_4", spf::Result::fail, SpfVerdict::reject,
             "550 5.7.23 example.com does not designate 192.0.2.1"},
        Case{"softfail_accepts", spf::Result::softfail, SpfVerdict::accept, ""},
        Case{"neutral", spf::Result::neutral, SpfVerdict::accept, ""},
        Case{"none", spf::Result::none, SpfVerdict::accept, ""},
        Case{"temperror_defers_451_4_4_3_rfc7208_8_6", spf::Result::temperror, SpfVerdict::defer,
             "451 4.4.3 reason for temperror"},
        Case{"permerror_accepts", spf::Result::permerror, SpfVerdict::accept, ""}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(SpfDecision, PermerrorRejectUsesRfc7372Code) {
  SpfPolicy policy;
  policy.mail_from.set(spf::Result::permerror, SpfVerdict::reject);
  const auto decision = decide_spf(policy, nullptr, outcome(spf::Result::permerror));
  EXPECT_EQ(decision.smtp_reply, "550 5.7.24 reason for permerror");
}

TEST(SpfDecision, SoftfailRejectWhenConfigured) {
  SpfPolicy policy;
  policy.mail_from.set(spf::Result::softfail, SpfVerdict::reject);
  EXPECT_EQ(decide_spf(policy, nullptr, outcome(spf::Result::softfail)).smtp_reply,
            "550 5.7.23 reason for softfail");
}

TEST(SpfDecision, HeloFailDecidesBeforeMailFrom) {
  const auto helo = outcome(spf::Result::fail, spf::Identity::helo);
  const auto decision = decide_spf(SpfPolicy{}, &helo, outcome(spf::Result::pass));
  EXPECT_EQ(decision.verdict, SpfVerdict::reject);
  EXPECT_EQ(decision.identity, spf::Identity::helo);
}

TEST(SpfDecision, HeloFailAcceptedWhenConfigured) {
  SpfPolicy policy;
  policy.helo.set(spf::Result::fail, SpfVerdict::accept);
  const auto helo = outcome(spf::Result::fail, spf::Identity::helo);
  const auto decision = decide_spf(policy, &helo, outcome(spf::Result::pass));
  EXPECT_EQ(decision.verdict, SpfVerdict::accept);
  EXPECT_EQ(decision.identity, spf::Identity::mailfrom);
}

TEST(SpfDecision, HeloResultHeaderWhenMailFromHasNone) {
  const auto helo = outcome(spf::Result::pass, spf::Identity::helo);
  EXPECT_EQ(decide_spf(SpfPolicy{}, &helo, outcome(spf::Result::none)).identity, spf::Identity::helo);
}

TEST(SpfDecision, MailFromFailRejectsAfterHeloPass) {
  const auto helo = outcome(spf::Result::pass, spf::Identity::helo);
  const auto decision = decide_spf(SpfPolicy{}, &helo, outcome(spf::Result::fail));
  EXPECT_EQ(decision.verdict, SpfVerdict::reject);
  EXPECT_EQ(decision.identity, spf::Identity::mailfrom);
}

TEST(SpfDecision, ReasonlessOutcomeStillExplains) {
  spf::Outcome o;
  o.result = spf::Result::temperror;
  o.domain = "example.net";
  EXPECT_EQ(decide_spf(SpfPolicy{}, nullptr, o).smtp_reply, "451 4.4.3 SPF temperror for example.net");
}

TEST(SpfVerdictText, RoundTrips) {
  for (auto v : {SpfVerdict::accept, SpfVerdict::reject, SpfVerdict::defer}) {
    EXPECT_EQ(parse_spf_verdict(to_string(v)), v);
  }
  EXPECT_FALSE(parse_spf_verdict("Reject"));
}

}  // namespace
}  // namespace domainauth::engine
