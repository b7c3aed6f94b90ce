// SPF result -> verdict table (RFC 7208 8.4 fail reject, 8.6 temperror 451 4.4.3,
// RFC 7372 5.7.23 / 5.7.24), per identity, HELO first.
#include <gtest/gtest.h>

#include "spf/decision.hpp"

namespace domainauth::spf {
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
  Verdict verdict;
  const char* reply;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }


class DefaultPolicy : public ::testing::TestWithParam<Case> {};

TEST_P(DefaultPolicy, MailFromResult) {
  const auto& c = GetParam();
  const auto decision = decide(Policy{}, nullptr, outcome(c.mail_from));
  EXPECT_EQ(decision.verdict, c.verdict) << to_string(decision.verdict);
  EXPECT_EQ(decision.smtp_reply, c.reply);
  EXPECT_EQ(decision.identity, spf::Identity::mailfrom);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7208Section8, DefaultPolicy,
    ::testing::Values(
        Case{"pass", spf::Result::pass, Verdict::accept, ""},
        Case{"fail_rejects_with_explanation_rfc7208_8_4", spf::Result::fail, Verdict::reject,
             "550 5.7.23 example.com does not designate 192.0.2.1"},
        Case{"softfail_accepts", spf::Result::softfail, Verdict::accept, ""},
        Case{"neutral", spf::Result::neutral, Verdict::accept, ""},
        Case{"none", spf::Result::none, Verdict::accept, ""},
        Case{"temperror_defers_451_4_4_3_rfc7208_8_6", spf::Result::temperror, Verdict::defer,
             "451 4.4.3 reason for temperror"},
        Case{"permerror_accepts", spf::Result::permerror, Verdict::accept, ""}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(SpfDecision, PermerrorRejectUsesRfc7372Code) {
  Policy policy;
  policy.mail_from.set(spf::Result::permerror, Verdict::reject);
  const auto decision = decide(policy, nullptr, outcome(spf::Result::permerror));
  EXPECT_EQ(decision.smtp_reply, "550 5.7.24 reason for permerror");
}

TEST(SpfDecision, SoftfailRejectWhenConfigured) {
  Policy policy;
  policy.mail_from.set(spf::Result::softfail, Verdict::reject);
  EXPECT_EQ(decide(policy, nullptr, outcome(spf::Result::softfail)).smtp_reply,
            "550 5.7.23 reason for softfail");
}

TEST(SpfDecision, HeloFailDecidesBeforeMailFrom) {
  const auto helo = outcome(spf::Result::fail, spf::Identity::helo);
  const auto decision = decide(Policy{}, &helo, outcome(spf::Result::pass));
  EXPECT_EQ(decision.verdict, Verdict::reject);
  EXPECT_EQ(decision.identity, spf::Identity::helo);
}

TEST(SpfDecision, HeloFailAcceptedWhenConfigured) {
  Policy policy;
  policy.helo.set(spf::Result::fail, Verdict::accept);
  const auto helo = outcome(spf::Result::fail, spf::Identity::helo);
  const auto decision = decide(policy, &helo, outcome(spf::Result::pass));
  EXPECT_EQ(decision.verdict, Verdict::accept);
  EXPECT_EQ(decision.identity, spf::Identity::mailfrom);
}

TEST(SpfDecision, HeloResultHeaderWhenMailFromHasNone) {
  const auto helo = outcome(spf::Result::pass, spf::Identity::helo);
  EXPECT_EQ(decide(Policy{}, &helo, outcome(spf::Result::none)).identity, spf::Identity::helo);
}

TEST(SpfDecision, MailFromFailRejectsAfterHeloPass) {
  const auto helo = outcome(spf::Result::pass, spf::Identity::helo);
  const auto decision = decide(Policy{}, &helo, outcome(spf::Result::fail));
  EXPECT_EQ(decision.verdict, Verdict::reject);
  EXPECT_EQ(decision.identity, spf::Identity::mailfrom);
}

TEST(SpfDecision, ReasonlessOutcomeStillExplains) {
  spf::Outcome o;
  o.result = spf::Result::temperror;
  o.domain = "example.net";
  EXPECT_EQ(decide(Policy{}, nullptr, o).smtp_reply, "451 4.4.3 SPF temperror for example.net");
}

TEST(SpfVerdictText, RoundTrips) {
  for (auto v : {Verdict::accept, Verdict::reject, Verdict::defer}) {
    EXPECT_EQ(parse_verdict(to_string(v)), v);
  }
  EXPECT_FALSE(parse_verdict("Reject"));
}

}  // namespace
}  // namespace domainauth::spf
