// Failure reports: the fo= decision table (RFC 9989 4.7, RFC 9991 2), the AFRF
// message (RFC 6591 3, RFC 9991 4, RFC 5965) parsed back part by part, the
// RFC 6590 redaction, and the per-domain hourly rate limit.
#include <gtest/gtest.h>

#include <map>

#include "report/failure.hpp"
#include "report/rate_limit.hpp"

namespace domainauth::report {
namespace {

mail::HeaderField header(std::string_view raw) { return *mail::parse_header_field(raw); }

// A spoofed message From bank.example: SPF pass for another domain, one
// DKIM signature of bank.example that failed.
ReportedMessage spoofed(std::string_view record_text) {
  ReportedMessage m;
  m.outcome.result = dmarc::Result::fail;
  m.outcome.author_domain = "bank.example";
  m.outcome.policy_domain = "bank.example";
  m.outcome.record = dmarc::parse_record(record_text).record;
  m.outcome.spf = {"mailer.example", true, false};
  m.outcome.dkim = {{"bank.example", false, false}};
  m.dmarc_authres = "mx.test; dmarc=fail header.from=bank.example";
  m.spf_authres = "mx.test; spf=pass smtp.mailfrom=victim.user@mailer.example";
  m.dkim = {{true, "bank.example", "@bank.example", "s1", "mx.test; dkim=fail header.d=bank.example header.s=s1"}};
  m.queue_id = "4ABC123";
  m.mail_from = "victim.user@mailer.example";
  m.source_ip = "192.0.2.9";
  m.headers = {header("From: Jane Doe <jane.doe@bank.example>"), header("To: \"Bob x\"@customer.example"),
               header("Subject: pay now"), header("Message-ID: <abc.def@mailer.example>")};
  m.body = "Hello jane.doe@bank.example\r\n";
  m.delivery = DeliveryResult::reject;
  return m;
}

struct FoRow {
  const char* name;
  const char* record;
  bool spf_aligned;
  bool dkim_aligned;
  bool dkim_failed;
  bool spf_failed;
  std::vector<Trigger> expected;
};

class FoTable : public testing::TestWithParam<FoRow> {};

TEST_P(FoTable, Triggers) {
  const auto& row = GetParam();
  auto m = spoofed(row.record);
  m.outcome.spf.aligned = row.spf_aligned;
  m.outcome.dkim[0].aligned = row.dkim_aligned;
  m.dkim[0].failed = row.dkim_failed;
  m.spf_failed = row.spf_failed;
  EXPECT_EQ(failure_triggers(m), row.expected);
}

const Trigger kDmarc{AuthFailure::dmarc, 0};
const Trigger kSig{AuthFailure::signature, 0};
const Trigger kSpf{AuthFailure::spf, 0};

INSTANTIATE_TEST_SUITE_P(
    Rfc9989Fo, FoTable,
    testing::Values(
        FoRow{"Fo0DefaultAllFailReports", "v=DMARC1; p=reject; ruf=mailto:f@bank.example", false, false, true, false,
              {kDmarc}},
        FoRow{"Fo0OneAlignedPassNoReport", "v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=0", true, false, true,
              false, {}},
        FoRow{"Fo1AnyFailReportsWhenDkimUnaligned", "v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=1", true,
              false, false, false, {kDmarc}},
        FoRow{"Fo1AnyFailReportsWhenSpfUnaligned", "v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=1", false,
              true, false, false, {kDmarc}},
        FoRow{"Fo1BothAlignedNoReport", "v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=1", true, true, false,
              false, {}},
        FoRow{"FoDSignatureFailedRegardlessOfAlignment", "v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=d",
              true, true, true, false, {kSig}},
        FoRow{"FoDNoFailedSignatureNoReport", "v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=d", false, false,
              false, false, {}},
        FoRow{"FoSSpfFailedRegardlessOfAlignment", "v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=s", true,
              true, false, true, {kSpf}},
        FoRow{"FoCombined1DS", "v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=1:d:s", false, false, true, true,
              (std::vector<Trigger>{kDmarc, kSig, kSpf})},
        FoRow{"FoIgnoredWithoutRuf", "v=DMARC1; p=reject; fo=1:d:s", false, false, true, true, {}},
        FoRow{"PsdRecordRufNotConsidered", "v=DMARC1; p=reject; psd=y; ruf=mailto:f@bank.example; fo=1", false,
              false, true, true, {}}),
    [](const testing::TestParamInfo<FoRow>& row) { return std::string(row.param.name); });

// OpenDMARC's FailureReportsBcc gets a copy of a failure even where the domain
// asked for no report (no ruf=): with copies, fo= still decides.
TEST(FailureTriggers, WithoutRufOnlyForTheOperatorsCopies) {
  const auto m = spoofed("v=DMARC1; p=reject");
  EXPECT_TRUE(failure_triggers(m).empty());
  EXPECT_EQ(failure_triggers(m, true).size(), 1u);
  EXPECT_TRUE(failure_triggers(spoofed("v=DMARC1; p=reject; psd=y"), true).empty());
}

TEST(FailureTriggers, NothingWithoutARecord) {
  auto m = spoofed("v=DMARC1; p=reject; ruf=mailto:f@bank.example");
  m.outcome.record.reset();
  EXPECT_TRUE(failure_triggers(m).empty());
}

TEST(IdentityAlignment, ListsTheMechanismsWithoutAnAlignedPass) {
  dmarc::Outcome o;
  o.spf.aligned = false;
  o.dkim = {{"a.example", false, false}};
  EXPECT_EQ(identity_alignment(o), "dkim, spf");
  o.spf.aligned = true;
  EXPECT_EQ(identity_alignment(o), "dkim");
  o.dkim[0].aligned = true;
  EXPECT_EQ(identity_alignment(o), "none");
  o.spf.aligned = false;
  EXPECT_EQ(identity_alignment(o), "spf");
}

// A MIME entity: its header fields (name lower case -> unfolded value) and content.
struct Part {
  std::map<std::string, std::string> fields;
  std::string content;
};

Part parse_entity(std::string_view text) {
  Part part;
  const auto end = text.find("\r\n\r\n");
  std::string_view head = text.substr(0, end);
  part.content = std::string(text.substr(end + 4));
  while (!head.empty()) {
    auto line_end = head.find("\r\n");
    while (line_end != std::string_view::npos && line_end + 2 < head.size() &&
           (head[line_end + 2] == ' ' || head[line_end + 2] == '\t')) {
      line_end = head.find("\r\n", line_end + 2);
    }
    const auto f = mail::parse_header_field(head.substr(0, line_end));
    EXPECT_TRUE(f);
    if (f) part.fields[text::to_lower(f->name)] = mail::unfold(f->value());
    head = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  }
  return part;
}

std::vector<Part> parse_report(const std::string& message, Part& top) {
  top = parse_entity(message);
  std::vector<Part> parts;
  const std::string dash = "--b0undary";
  std::size_t pos = top.content.find(dash + "\r\n");
  while (pos != std::string::npos) {
    const auto begin = pos + dash.size() + 2;
    const auto next = top.content.find("\r\n" + dash, begin);
    if (next == std::string::npos) break;
    parts.push_back(parse_entity(std::string_view(top.content).substr(begin, next - begin)));
    pos = top.content.find(dash + "\r\n", next + 2);
  }
  EXPECT_NE(top.content.find(dash + "--\r\n"), std::string::npos);
  return parts;
}

Composition composition(const Redactor* redactor = nullptr) {
  return {"DMARC reports <reports@mx.test>", {"f@bank.example"}, "Sun, 29 Nov 2026 20:00:00 +0000",
          "Sun, 29 Nov 2026 19:59:58 +0000", "<r1@mx.test>", "b0undary", "domainauth/test", redactor};
}

TEST(FailureReport, Rfc6591StructureAndFeedbackFields) {
  const auto m = spoofed("v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=1");
  Part top;
  const auto parts = parse_report(failure_report(m, kDmarc, composition()), top);
  EXPECT_EQ(top.fields["content-type"], "multipart/report; report-type=feedback-report; boundary=\"b0undary\"");
  EXPECT_EQ(top.fields["from"], "DMARC reports <reports@mx.test>");
  EXPECT_EQ(top.fields["to"], "f@bank.example");
  EXPECT_EQ(top.fields["message-id"], "<r1@mx.test>");
  EXPECT_EQ(top.fields["mime-version"], "1.0");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].fields.at("content-type"), "text/plain; charset=us-ascii");
  EXPECT_NE(parts[0].content.find("from IP 192.0.2.9"), std::string::npos);
  EXPECT_EQ(parts[1].fields.at("content-type"), "message/feedback-report");
  auto feedback = parse_entity(parts[1].content + "\r\n\r\n").fields;
  EXPECT_EQ(feedback["feedback-type"], "auth-failure");
  EXPECT_EQ(feedback["version"], "1");
  EXPECT_EQ(feedback["user-agent"], "domainauth/test");
  EXPECT_EQ(feedback["auth-failure"], "dmarc");
  EXPECT_EQ(feedback["original-envelope-id"], "4ABC123");
  EXPECT_EQ(feedback["original-mail-from"], "<victim.user@mailer.example>");
  EXPECT_EQ(feedback["arrival-date"], "Sun, 29 Nov 2026 19:59:58 +0000");
  EXPECT_EQ(feedback["source-ip"], "192.0.2.9");
  EXPECT_EQ(feedback["reported-domain"], "bank.example");
  EXPECT_EQ(feedback["authentication-results"], "mx.test; dmarc=fail header.from=bank.example");
  EXPECT_EQ(feedback["identity-alignment"], "dkim, spf");
  // RFC 9991 4: DKIM-* required for the failed signature of an aligned identifier.
  EXPECT_EQ(feedback["dkim-domain"], "bank.example");
  EXPECT_EQ(feedback["dkim-identity"], "@bank.example");
  EXPECT_EQ(feedback["dkim-selector"], "s1");
  EXPECT_EQ(feedback["delivery-result"], "reject");
  // The body was kept: message/rfc822 with headers and body.
  EXPECT_EQ(parts[2].fields.at("content-type"), "message/rfc822");
  EXPECT_NE(parts[2].content.find("From: Jane Doe <jane.doe@bank.example>\r\n"), std::string::npos);
  EXPECT_NE(parts[2].content.find("\r\n\r\nHello jane.doe@bank.example"), std::string::npos);
}

TEST(FailureReport, HeadersOnlyWithoutBodyAndNoDkimFieldsForUnalignedSignature) {
  auto m = spoofed("v=DMARC1; p=reject; ruf=mailto:f@bank.example");
  m.body.reset();
  m.dkim[0].domain = "elsewhere.example";
  Part top;
  const auto parts = parse_report(failure_report(m, kDmarc, composition()), top);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].fields.at("content-type"), "text/rfc822-headers");
  EXPECT_EQ(parts[2].content.find("Hello"), std::string::npos);
  const auto feedback = parse_entity(parts[1].content + "\r\n\r\n").fields;
  EXPECT_FALSE(feedback.count("dkim-domain"));
}

TEST(FailureReport, SignatureAndSpfReportsCarryTheirOwnSingleMethodResult) {
  const auto m = spoofed("v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=d:s");
  Part top;
  auto parts = parse_report(failure_report(m, kSig, composition()), top);
  auto feedback = parse_entity(parts[1].content + "\r\n\r\n").fields;
  EXPECT_EQ(feedback["auth-failure"], "signature");
  EXPECT_EQ(feedback["authentication-results"], "mx.test; dkim=fail header.d=bank.example header.s=s1");
  EXPECT_EQ(feedback["dkim-selector"], "s1");
  EXPECT_FALSE(feedback.count("identity-alignment"));
  parts = parse_report(failure_report(m, kSpf, composition()), top);
  feedback = parse_entity(parts[1].content + "\r\n\r\n").fields;
  EXPECT_EQ(feedback["auth-failure"], "spf");
  EXPECT_EQ(feedback["authentication-results"], "mx.test; spf=pass smtp.mailfrom=victim.user@mailer.example");
}

// RFC 9991 2 item 1 / RFC 6591 3.2.6: an SPF failure carries SPF-DNS once per
// record used (RFC 6591 4 syntax: txt : domain : quoted-string), folded only at
// the record's own spaces, so that unfolding gives the record back.
TEST(FailureReport, SpfFailureCarriesEveryRecordUsedAsSpfDns) {
  auto m = spoofed("v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=1");
  m.spf_failed = true;
  const std::string long_record = "v=spf1 include:_spf.mailer.example ip4:192.0.2.0/24 ip4:198.51.100.0/24 "
                                  "ip6:2001:db8::/32 exp=\"why\" -all";
  m.spf_records = {{"mailer.example", long_record}, {"_spf.mailer.example", "v=spf1 a:x\\y -all"}};
  for (const auto& trigger : {kDmarc, kSpf}) {
    const auto text = failure_report(m, trigger, composition());
    Part top;
    const auto parts = parse_report(text, top);
    ASSERT_GE(parts.size(), 2u);
    const std::string& feedback = parts[1].content;
    std::vector<std::string> values;
    for (auto pos = feedback.find("SPF-DNS: "); pos != std::string::npos; pos = feedback.find("SPF-DNS: ", pos + 1)) {
      auto end = pos;
      do end = feedback.find("\r\n", end + 2);
      while (end != std::string::npos && feedback[end + 2] == ' ');
      values.push_back(mail::unfold(feedback.substr(pos + 9, end - pos - 9)));
    }
    ASSERT_EQ(values.size(), 2u) << feedback;
    EXPECT_EQ(values[0], "txt : mailer.example : \"v=spf1 include:_spf.mailer.example ip4:192.0.2.0/24 "
                         "ip4:198.51.100.0/24 ip6:2001:db8::/32 exp=\\\"why\\\" -all\"");
    EXPECT_EQ(values[1], "txt : _spf.mailer.example : \"v=spf1 a:x\\\\y -all\"");
    for (std::size_t line = 0, next; (next = feedback.find("\r\n", line)) != std::string::npos; line = next + 2) {
      EXPECT_LE(next - line, 78u) << feedback.substr(line, next - line);
    }
  }
  m.spf_failed = false;  // SPF passed: no SPF-DNS in the DMARC report
  EXPECT_EQ(failure_report(m, kDmarc, composition()).find("SPF-DNS"), std::string::npos);
}

// Any TXT record starting "v=spf1" is a record used, whatever octets follow: in
// the SPF-DNS quoted-string (RFC 5322 3.2.4 qtext has no controls) a TAB becomes
// a space and other controls are dropped, as in Authentication-Results.
TEST(FailureReport, SpfDnsQuotedStringCarriesNoControls) {
  auto m = spoofed("v=DMARC1; p=reject; ruf=mailto:f@bank.example; fo=1");
  m.spf_failed = true;
  m.spf_records = {{"mailer.example", std::string("v=spf1 a\0\x1b\tb \"q\" -all", 21)}};
  const auto text = failure_report(m, kSpf, composition());
  const std::string want = "\r\nSPF-DNS: txt : mailer.example : \"v=spf1 a b \\\"q\\\" -all\"\r\n";
  EXPECT_NE(text.find(want), std::string::npos) << text;
}

TEST(FailureReport, GeneratedFieldsCannotBeSplitByLineBreaksFromMail) {
  auto m = spoofed("v=DMARC1; p=reject; ruf=mailto:f@bank.example");
  m.mail_from = "a@b.example\r\nBcc: x@evil.example";
  const auto text = failure_report(m, kDmarc, composition());
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos);
}

// RFC 6651 3.1: a report per failed signature that asked for one (r=y), of the
// RFC 6591 3.1 type its failure calls for; none without r=y or without a failure.
TEST(SignerTriggers, Rfc6651_3_1_OnlyFailedSignaturesThatAskForReports) {
  ReportedMessage m;
  m.dkim = {{true, "a.example", "@a.example", "s", "", true, dkim::Failure::body_hash},
            {true, "b.example", "@b.example", "s", "", false, dkim::Failure::signature},
            {false, "c.example", "@c.example", "s", "", true, dkim::Failure::none},
            {false, "d.example", "@d.example", "s", "", true, dkim::Failure::revoked},
            {false, "e.example", "@e.example", "s", "", true, dkim::Failure::expired},
            {true, "f.example,x@evil.test", "@f.example", "s", "", true, dkim::Failure::signature}};
  EXPECT_EQ(signer_triggers(m), (std::vector<Trigger>{{AuthFailure::bodyhash, 0, true},
                                                      {AuthFailure::revoked, 3, true},
                                                      {AuthFailure::signature, 4, true}}));
  EXPECT_EQ(reported_domain(m, {AuthFailure::revoked, 3, true}), "d.example");
}

// An RFC 6651 report is about the signing domain, not the From domain: Subject,
// Reported-Domain and the DKIM-* fields name d=, Auth-Failure the failure, and
// nothing of DMARC (no Identity-Alignment) is in it, even without a DMARC outcome.
TEST(FailureReport, Rfc6651SignerReportNamesTheSigningDomain) {
  auto m = spoofed("v=DMARC1; p=reject");
  m.outcome = {};
  m.dkim[0] = {true, "signer.example", "@signer.example", "s2", "mx.test; dkim=fail header.d=signer.example header.s=s2",
               true, dkim::Failure::body_hash};
  Composition c = composition();
  c.to = {"dkim-reports@signer.example"};
  Part top;
  const auto parts = parse_report(failure_report(m, {AuthFailure::bodyhash, 0, true}, c), top);
  EXPECT_EQ(top.fields["subject"], "DKIM failure report for signer.example (bodyhash)");
  EXPECT_EQ(top.fields["to"], "dkim-reports@signer.example");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_NE(parts[0].content.find("r=y, RFC 6651"), std::string::npos);
  auto feedback = parse_entity(parts[1].content + "\r\n\r\n").fields;
  EXPECT_EQ(feedback["feedback-type"], "auth-failure");
  EXPECT_EQ(feedback["auth-failure"], "bodyhash");
  EXPECT_EQ(feedback["reported-domain"], "signer.example");
  EXPECT_EQ(feedback["authentication-results"], "mx.test; dkim=fail header.d=signer.example header.s=s2");
  EXPECT_EQ(feedback["dkim-domain"], "signer.example");
  EXPECT_EQ(feedback["dkim-selector"], "s2");
  EXPECT_FALSE(feedback.count("identity-alignment"));
  EXPECT_FALSE(feedback.count("spf-dns"));
}

TEST(Redaction, Rfc6590LocalPartsReplacedByKeyedTokens) {
  const Redactor r("secret");
  const auto token = r.token("jane.doe");
  EXPECT_EQ(token.size(), 16u);
  EXPECT_EQ(token, r.token("jane.doe"));           // stable within one key
  EXPECT_NE(token, r.token("john"));               // distinct addresses stay distinct
  EXPECT_NE(token, Redactor("other").token("jane.doe"));  // and depend on the key
  EXPECT_EQ(r.text("From: Jane <jane.doe@bank.example>"), "From: Jane <" + token + "@bank.example>");
  EXPECT_EQ(r.text("smtp.mailfrom=jane.doe@bank.example"), "smtp.mailfrom=" + token + "@bank.example");
  EXPECT_EQ(r.text("To: \"Bob x\"@c.example"), "To: " + r.token("\"Bob x\"") + "@c.example");
  EXPECT_EQ(r.text("header.i=@bank.example; no address @ here"), "header.i=@bank.example; no address @ here");
  EXPECT_EQ(r.text("a@b.example, c@d.example"), r.token("a") + "@b.example, " + r.token("c") + "@d.example");
}

TEST(Redaction, RedactedReportHasNoLocalPartAndNoBody) {
  const auto m = spoofed("v=DMARC1; p=reject; ruf=mailto:f@bank.example");
  const Redactor r("k");
  Part top;
  const auto text = failure_report(m, kDmarc, composition(&r));
  const auto parts = parse_report(text, top);
  ASSERT_EQ(parts.size(), 3u);
  for (const char* local : {"jane.doe", "victim.user", "Bob x"}) {
    EXPECT_EQ(parts[1].content.find(local), std::string::npos) << local;
    EXPECT_EQ(parts[2].content.find(local), std::string::npos) << local;
  }
  EXPECT_EQ(parts[2].fields.at("content-type"), "text/rfc822-headers");
  EXPECT_EQ(parts[2].content.find("Hello"), std::string::npos);
  // Message identifiers are not addresses: kept for correlation.
  EXPECT_NE(parts[2].content.find("Message-ID: <abc.def@mailer.example>"), std::string::npos);
  // The ruf destination itself is not redacted.
  EXPECT_EQ(top.fields["to"], "f@bank.example");
}

TEST(RateLimit, PerDomainPerClockHour) {
  RateLimiter limit(2);
  const std::int64_t hour = 1790000000 / 3600 * 3600;
  EXPECT_TRUE(limit.allow("bank.example", hour));
  EXPECT_TRUE(limit.allow("BANK.example", hour + 10));
  EXPECT_FALSE(limit.allow("bank.example", hour + 3599));
  EXPECT_TRUE(limit.allow("other.example", hour + 3599));  // another domain has its own count
  EXPECT_TRUE(limit.allow("bank.example", hour + 3600));   // the next hour starts afresh
}

TEST(RateLimit, BoundedDomainTableRefusesNewDomainsWhenFullThisHour) {
  RateLimiter limit(5, 2);
  EXPECT_TRUE(limit.allow("a.example", 0));
  EXPECT_TRUE(limit.allow("b.example", 0));
  EXPECT_FALSE(limit.allow("c.example", 0));
  EXPECT_TRUE(limit.allow("a.example", 1));
  EXPECT_TRUE(limit.allow("c.example", 3600));  // last hour's entries are pruned
}

}  // namespace
}  // namespace domainauth::report
