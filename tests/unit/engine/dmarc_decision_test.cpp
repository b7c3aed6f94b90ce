// decide_dmarc: the enforcement table (RFC 7489 6.7 / RFC 9989 5.5: the
// receiver applies the disposition; local policy may override it), one row per
// rule: dispositions, report-only, never_reject, quarantine_as_header,
// exceptions, internal / authenticated clients; ignore_mail_from; and
// upstream_spf (SPFSelfValidate off: only trusted authserv-ids believed).
#include <gtest/gtest.h>

#include "engine/dmarc_decision.hpp"
#include "engine/pipeline.hpp"

namespace domainauth::engine {
namespace {

using dmarc::Policy;

dmarc::Outcome outcome(dmarc::Result result, Policy policy, Policy disposition,
                       dmarc::PolicySource source = dmarc::PolicySource::p) {
  dmarc::Outcome o;
  o.result = result;
  o.author_domain = "bank.example";
  o.policy = policy;
  o.policy_source = source;
  o.disposition = disposition;
  return o;
}

config::DmarcSettings enforcing() {
  config::DmarcSettings s;
  s.enforce = true;
  return s;
}

struct Row {
  const char* name;
  config::DmarcSettings settings;
  dmarc::Outcome outcome;
  DmarcClient client;
  DmarcAction action;
  const char* skipped;
};

class DecisionTable : public testing::TestWithParam<Row> {};

TEST_P(DecisionTable, Action) {
  const auto& row = GetParam();
  const auto d = decide_dmarc(row.settings, row.outcome, row.client);
  EXPECT_EQ(to_string(d.action), to_string(row.action));
  EXPECT_EQ(d.skipped, row.skipped);
}

config::DmarcSettings with(void (*change)(config::DmarcSettings&)) {
  auto s = enforcing();
  change(s);
  return s;
}

const DmarcClient kOutside{false, false};
const auto kFailReject = outcome(dmarc::Result::fail, Policy::reject, Policy::reject);
const auto kFailQuarantine = outcome(dmarc::Result::fail, Policy::quarantine, Policy::quarantine);

INSTANTIATE_TEST_SUITE_P(
    Rfc7489Section6_7, DecisionTable,
    testing::Values(
        Row{"FailRejectIsRejected", enforcing(), kFailReject, kOutside, DmarcAction::reject, ""},
        Row{"FailQuarantineIsQuarantined", enforcing(), kFailQuarantine, kOutside, DmarcAction::quarantine, ""},
        Row{"FailNoneIsAccepted", enforcing(), outcome(dmarc::Result::fail, Policy::none, Policy::none), kOutside,
            DmarcAction::accept, ""},
        Row{"PassOfRejectDomainIsAccepted", enforcing(), outcome(dmarc::Result::pass, Policy::reject, Policy::none),
            kOutside, DmarcAction::accept, ""},
        Row{"NoneIsAccepted", enforcing(), dmarc::Outcome{}, kOutside, DmarcAction::accept, ""},
        Row{"PermerrorIsAccepted", enforcing(), outcome(dmarc::Result::permerror, Policy::none, Policy::none),
            kOutside, DmarcAction::accept, ""},
        Row{"SampledOutRejectLoweredToQuarantine", enforcing(),
            outcome(dmarc::Result::fail, Policy::reject, Policy::quarantine), kOutside, DmarcAction::quarantine, ""},
        Row{"ReportOnlyByDefault", config::DmarcSettings{}, kFailReject, kOutside, DmarcAction::accept,
            "report-only"},
        Row{"NeverRejectQuarantines", with([](auto& s) { s.never_reject = true; }), kFailReject, kOutside,
            DmarcAction::quarantine, ""},
        Row{"QuarantineAsHeaderMarks", with([](auto& s) { s.quarantine_as_header = true; }), kFailQuarantine,
            kOutside, DmarcAction::mark, ""},
        Row{"NeverRejectWithHeaderMarks",
            with([](auto& s) {
              s.never_reject = true;
              s.quarantine_as_header = true;
            }),
            kFailReject, kOutside, DmarcAction::mark, ""},
        Row{"ExceptionDomainNotEnforced", with([](auto& s) { s.exceptions = {"bank.example"}; }), kFailReject,
            kOutside, DmarcAction::accept, "exception"},
        Row{"ExceptionComparesCaseInsensitively", with([](auto& s) { s.exceptions = {"BANK.example"}; }),
            kFailReject, kOutside, DmarcAction::accept, "exception"},
        Row{"ExceptionIsNotSubdomainMatch", with([](auto& s) { s.exceptions = {"example"}; }), kFailReject,
            kOutside, DmarcAction::reject, ""},
        Row{"InternalClientNotEnforced", enforcing(), kFailReject, DmarcClient{true, false},
            DmarcAction::accept, "internal-client"},
        Row{"AuthenticatedClientNotEnforced", enforcing(), kFailReject, DmarcClient{false, true},
            DmarcAction::accept, "authenticated-client"},
        Row{"AuthenticatedClientEnforcedWhenConfigured",
            with([](auto& s) { s.ignore_authenticated_clients = false; }), kFailReject,
            DmarcClient{false, true}, DmarcAction::reject, ""},
        Row{"IgnoreMailFromIsNotADecisionSkip", with([](auto& s) { s.ignore_mail_from = {"bank.example"}; }),
            kFailReject, kOutside, DmarcAction::reject, ""}),
    [](const testing::TestParamInfo<Row>& row) { return std::string(row.param.name); });

TEST(DmarcDecision, RejectIs550_5_7_1NamingDomainAndPolicyTag) {
  const auto d = decide_dmarc(enforcing(), outcome(dmarc::Result::fail, Policy::reject, Policy::reject,
                                                   dmarc::PolicySource::sp),
                              kOutside);
  EXPECT_EQ(d.reply.code, 550u);
  EXPECT_EQ(d.reply.status, "5.7.1");
  EXPECT_EQ(d.reply.text,
            "Message rejected: DMARC policy of bank.example (sp=reject) and the message failed DMARC authentication");
}

TEST(DmarcDecision, RejectTextConfigured) {
  auto s = enforcing();
  s.reject_text = "Not here";
  EXPECT_EQ(decide_dmarc(s, kFailReject, kOutside).reply.text, "Not here");
}

TEST(DmarcDecision, QuarantineReasonNamesDomainAndPolicy) {
  EXPECT_EQ(decide_dmarc(enforcing(), kFailQuarantine, kOutside).reason,
            "DMARC p=quarantine of bank.example: failed");
}

std::vector<mail::HeaderField> fields(std::initializer_list<std::string> raw) {
  std::vector<mail::HeaderField> out;
  for (const auto& r : raw) out.push_back({r.substr(0, r.find(':')), r});
  return out;
}

TEST(UpstreamSpf, TrustedAuthservIdGivesResultAndMailFromDomain) {
  const auto h = fields({"Authentication-Results: untrusted.example; spf=pass smtp.mailfrom=a@bank.example",
                         "Authentication-Results: MX1.example; dkim=none; spf=fail smtp.mailfrom=a@evil.example"});
  const auto spf = upstream_spf(h, {"mx1.example"});
  ASSERT_TRUE(spf);
  EXPECT_EQ(spf->result, dmarc::SpfResult::fail);
  EXPECT_EQ(spf->domain, "evil.example");
}

TEST(UpstreamSpf, UntrustedIgnored) {
  const auto h = fields({"Authentication-Results: untrusted.example; spf=pass smtp.mailfrom=a@bank.example"});
  EXPECT_FALSE(upstream_spf(h, {"mx1.example"}));
}

TEST(UpstreamSpf, HeloWhenNoMailFrom) {
  const auto h = fields({"Authentication-Results: mx1.example; spf=softfail smtp.helo=relay.example"});
  const auto spf = upstream_spf(h, {"mx1.example"});
  ASSERT_TRUE(spf);
  EXPECT_EQ(spf->result, dmarc::SpfResult::softfail);
  EXPECT_EQ(spf->domain, "relay.example");
}

TEST(UpstreamSpf, FeedsDmarcInputWhenSelfValidationOff) {
  Results r;
  r.upstream_spf = dmarc::SpfInput{dmarc::SpfResult::pass, "bank.example"};
  const auto message = dmarc_input(r, dmarc::extract_author(" a@bank.example"));
  EXPECT_EQ(message.spf.result, dmarc::SpfResult::pass);
  EXPECT_EQ(message.spf.domain, "bank.example");
}

TEST(DmarcDecision, AppliedDispositionIsWhatTheOverridesLeft) {
  EXPECT_EQ(applied_disposition(decide_dmarc(enforcing(), kFailReject, kOutside)), Policy::reject);
  EXPECT_EQ(applied_disposition(decide_dmarc(with([](auto& s) { s.never_reject = true; }), kFailReject, kOutside)),
            Policy::quarantine);
  EXPECT_EQ(applied_disposition(
                decide_dmarc(with([](auto& s) { s.quarantine_as_header = true; }), kFailQuarantine, kOutside)),
            Policy::quarantine);
  EXPECT_EQ(applied_disposition(decide_dmarc(with([](auto& s) { s.exceptions = {"bank.example"}; }), kFailReject,
                                             kOutside)),
            Policy::none);
  EXPECT_EQ(applied_disposition(decide_dmarc(config::DmarcSettings{}, kFailReject, kOutside)), Policy::none);
}

TEST(DmarcDecision, ClientSkipReasonCoversOnlyTheClient) {
  auto s = enforcing();
  EXPECT_EQ(client_skip_reason(s, {true, false}), "internal-client");
  EXPECT_EQ(client_skip_reason(s, {false, true}), "authenticated-client");
  EXPECT_EQ(client_skip_reason(s, {false, false}), "");
  s.ignore_authenticated_clients = false;
  EXPECT_EQ(client_skip_reason(s, {false, true}), "");
}

// OpenDMARC IgnoreMailFrom: "based on the From: domain", exact and case-insensitive.
TEST(DmarcDecision, IgnoreMailFromListsEveryAuthorDomainExactly) {
  config::DmarcSettings s;
  s.ignore_mail_from = {"list.example", "Other.EXAMPLE"};
  EXPECT_TRUE(ignored_authors(s, {"list.example"}));
  EXPECT_TRUE(ignored_authors(s, {"other.example"}));
  EXPECT_TRUE(ignored_authors(s, {"list.example", "other.example"}));
  EXPECT_FALSE(ignored_authors(s, {"list.example", "bank.example"}));  // one domain not listed
  EXPECT_FALSE(ignored_authors(s, {"sub.list.example"}));              // no subdomain match
  EXPECT_FALSE(ignored_authors(s, {"example"}));                       // no parent match
  EXPECT_FALSE(ignored_authors(s, {}));                                // no From: judged as usual
}

}  // namespace
}  // namespace domainauth::engine
