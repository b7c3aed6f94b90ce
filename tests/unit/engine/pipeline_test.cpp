// The pure pipeline steps: sign-vs-verify decision table (OpenDKIM Mode sv,
// SubDomains, MultipleSignatures), the header block (limits, forged
// Authentication-Results indexes), Authentication-Results
// assembly (RFC 8601 2.7, RFC 6008 header.b) and the temperror rule.
#include "engine/pipeline.hpp"

#include <gtest/gtest.h>

#include "test_keys.hpp"

namespace domainauth::engine {
namespace {

using testing::KeyFolder;

net::IpAddress ip(const char* text) { return *net::IpAddress::parse(text); }

mail::HeaderField field(const std::string& name, const std::string& value) { return {name, name + ":" + value}; }

// The field value on one line (the writer's folding is its own business).
std::string one_line(const authres::Field& field) {
  std::string text = authres::format(field, "\n\t");
  for (std::size_t p; (p = text.find("\n\t")) != std::string::npos;) text.replace(p, 2, " ");
  return text;
}

config::Config load(const std::string& text) {
  auto result = config::load_string(text, "t.toml");
  EXPECT_TRUE(result.config) << (result.errors.empty() ? "" : result.errors.front());
  return result.config ? *result.config : config::defaults();
}

TEST(ClassifyClient, InternalHostsByAddressNetworkAndName) {
  const auto c = load(R"([sign]
internal_hosts = ["10.0.0.0/8", "!10.9.9.9", "relay.example.com", "::1"]
external_ignore = ["192.0.2.7"]
)");
  struct Case {
    const char* name;
    Client client;
    bool internal, authenticated, ignored, originator;
  };
  const Case cases[] = {
      {"address in network", {ip("10.1.2.3"), "[10.1.2.3]", ""}, true, false, false, true},
      {"excluded address", {ip("10.9.9.9"), "[10.9.9.9]", ""}, false, false, false, false},
      {"listed host name", {ip("198.51.100.1"), "Relay.Example.COM", ""}, true, false, false, true},
      {"ipv6 loopback", {ip("::1"), "localhost", ""}, true, false, false, true},
      {"outside", {ip("198.51.100.1"), "mx.other.example", ""}, false, false, false, false},
      {"outside but SASL", {ip("198.51.100.1"), "x", "joe"}, false, true, false, true},
      {"external ignore", {ip("192.0.2.7"), "x", ""}, false, false, true, false},
      {"no address", {std::nullopt, "localhost", ""}, false, false, false, false},
  };
  for (const auto& t : cases) {
    const auto o = classify_client(c.sign, t.client);
    EXPECT_EQ(o.internal, t.internal) << t.name;
    EXPECT_EQ(o.authenticated, t.authenticated) << t.name;
    EXPECT_EQ(o.ignored, t.ignored) << t.name;
    EXPECT_EQ(o.originator(), t.originator) << t.name;
  }
}

TEST(PlanSigning, OpendkimModeSvDecisionTable) {
  KeyFolder keys;
  const auto c = load(keys.config({{"example.jp", "sel1"}}, "",
                                  "20230319._domainkey.example.com example.com:20230319:" + keys.key("com") + "\n",
                                  "*@example.com 20230319._domainkey.example.com\n"));
  struct Case {
    const char* name;
    Origin origin;
    const char* from;
    std::vector<std::string> signed_by;  // "d/s"
  };
  const Origin internal{true, false, false}, sasl{false, true, false}, outside{false, false, false};
  const Case cases[] = {
      {"internal, native key", internal, "a@example.jp", {"example.jp/sel1"}},
      {"internal, refile SigningTable", internal, "Joe <joe@Example.COM>", {"example.com/20230319"}},
      {"SASL-authenticated", sasl, "a@example.jp", {"example.jp/sel1"}},
      {"outside client: verify", outside, "a@example.jp", {}},
      {"internal, no key for the domain", internal, "a@example.org", {}},
      {"internal, subdomain without SubDomains", internal, "a@mail.example.jp", {}},
      {"internal, two From domains", internal, "a@example.jp, b@example.com", {}},
  };
  for (const auto& t : cases) {
    const auto plan = plan_signing(c.sign, t.origin, sender_of({std::string(" ") + t.from}).address);
    std::vector<std::string> got;
    for (const auto& r : plan.requests) got.push_back(r.domain + "/" + r.selector);
    EXPECT_EQ(got, t.signed_by) << t.name;
    if (t.origin.originator() && t.signed_by.empty()) {
      EXPECT_FALSE(plan.note.empty()) << t.name;
    }
  }
}

TEST(PlanSigning, SubDomainsMultipleSignaturesAndSigningOptions) {
  KeyFolder keys;
  const auto c = load(keys.config({{"example.jp", "a"}, {"example.jp", "b"}}, R"(subdomains = true
multiple_signatures = true
canonicalization = "simple/simple"
headers = ["From", "Subject"]
oversign = []
expire = 3600
)"));
  const auto plan = plan_signing(c.sign, {true, false, false}, sender_of({" x@deep.mail.example.jp"}).address);
  ASSERT_EQ(plan.requests.size(), 2u);
  EXPECT_EQ(plan.requests[0].selector, "a");
  EXPECT_EQ(plan.requests[1].selector, "b");
  EXPECT_EQ(plan.requests[0].domain, "example.jp");
  EXPECT_EQ(plan.requests[0].header_canon, mail::Canonicalization::simple);
  EXPECT_EQ(plan.requests[0].body_canon, mail::Canonicalization::simple);
  EXPECT_EQ(plan.requests[0].headers, (std::vector<std::string>{"From", "Subject"}));
  EXPECT_TRUE(plan.requests[0].oversign.empty());
  EXPECT_EQ(plan.requests[0].expire_after, 3600);
}

TEST(SenderOf, SigningAddressIsTheLocalPartAndTheAuthorDomain) {
  EXPECT_EQ(sender_of({" \"Joe\" <Joe.X@Example.JP>"}).address, "Joe.X@example.jp");
  EXPECT_EQ(sender_of({" joe@example.jp (comment)"}).address, "joe@example.jp");
  const auto group = sender_of({" undisclosed:;"});
  EXPECT_FALSE(group.address);
  EXPECT_EQ(group.author.status, dmarc::AuthorStatus::no_domain);
  const auto none = sender_of({});
  EXPECT_FALSE(none.address);
  EXPECT_EQ(none.author.status, dmarc::AuthorStatus::no_from_field);
  const auto two = sender_of({" a@example.jp", " b@example.jp"});
  EXPECT_FALSE(two.address);
  EXPECT_EQ(two.author.status, dmarc::AuthorStatus::multiple_from_fields);
}

TEST(HeaderBlock, ForgedAuthenticationResultsRemovedHighestIndexFirst) {
  HeaderBlock block("MX.Test", 100, 100000);
  block.add(field("Authentication-Results", " mx.test; dkim=pass"));          // 1: ours (case-insensitive)
  block.add(field("Authentication-Results", " other.example; spf=pass"));     // 2: another server's, kept
  block.add(field("Received", " from x"));
  block.add(field("authentication-results", " (comment) mx.test; spf=pass"));  // 3: ours
  block.add(field("Authentication-Results", " mx.test.evil; none"));          // 4: another id
  EXPECT_EQ(block.forged(), (std::vector<std::uint32_t>{3, 1}));
}

TEST(HeaderBlock, LimitsOnCountAndBytes) {
  HeaderBlock count("mx.test", 3, 100000);
  for (int i = 0; i < 3; ++i) count.add(field("X", " y"));
  EXPECT_FALSE(count.over_limit());
  count.add(field("X", " y"));
  EXPECT_TRUE(count.over_limit());
  EXPECT_TRUE(count.fields().empty());
  count.add(field("Authentication-Results", " mx.test; none"));  // still noticed past the limit
  EXPECT_EQ(count.forged().size(), 1u);

  HeaderBlock bytes("mx.test", 100, 50);
  bytes.add(field("Subject", " " + std::string(30, 'a')));
  EXPECT_FALSE(bytes.over_limit());
  bytes.add(field("Subject", " " + std::string(30, 'a')));
  EXPECT_TRUE(bytes.over_limit());
}

dkim::SignatureResult dkim_result(dkim::Result result, std::string d, std::string b) {
  dkim::SignatureResult r;
  r.result = result;
  r.domain = d;
  r.selector = "s1";
  r.identity = "@" + d;
  r.algorithm = "rsa-sha256";
  r.b = std::move(b);
  r.reason = result == dkim::Result::pass ? "" : "body hash did not verify";
  return r;
}

spf::Outcome spf_outcome(spf::Result result, std::string domain, spf::Identity identity = spf::Identity::mailfrom) {
  spf::Outcome o;
  o.result = result;
  o.domain = std::move(domain);
  o.identity = identity;
  return o;
}

TEST(AuthenticationResults, SpfDkimDmarcRfc8601) {
  Results r;
  r.mail_from = "bounce@example.com";
  r.helo = "mail.example.com";
  r.spf = spf_outcome(spf::Result::pass, "example.com");
  r.dkim = {dkim_result(dkim::Result::pass, "example.com", "abcdefghXYZ"),
            dkim_result(dkim::Result::fail, "example.net", "abcdefgh12")};
  dmarc::Outcome d;
  d.result = dmarc::Result::pass;
  d.author_domain = "example.com";
  d.record = dmarc::Record{};
  d.policy = dmarc::Policy::reject;
  r.dmarc = d;
  const auto field = authentication_results("mx.test", r);
  EXPECT_EQ(one_line(field),
            " mx.test; spf=pass smtp.mailfrom=bounce@example.com;"
            " dkim=pass header.d=example.com header.i=@example.com header.a=rsa-sha256"
            " header.s=s1 header.b=abcdefghX;"
            " dkim=fail reason=\"body hash did not verify\" header.d=example.net"
            " header.i=@example.net header.a=rsa-sha256 header.s=s1 header.b=abcdefgh1;"
            " dmarc=pass (p=reject dis=none) header.from=example.com");
}

TEST(AuthenticationResults, NullSenderReportsHeloAndNoSignatureIsNone) {
  Results r;
  r.helo = "mail.example.com";
  r.spf = spf_outcome(spf::Result::none, "mail.example.com", spf::Identity::helo);
  const auto field = authentication_results("mx.test", r);
  EXPECT_EQ(one_line(field), " mx.test; spf=none smtp.helo=mail.example.com; dkim=none");
}

TEST(AuthenticationResults, HeaderBPrefixIsAtLeastEightAndUnique) {
  Results r;
  r.dkim = {dkim_result(dkim::Result::pass, "a.example", "ab cd\r\n efgh ijkl"),
            dkim_result(dkim::Result::pass, "b.example", "abcdefghijkm")};
  const auto field = authentication_results("mx.test", r);
  EXPECT_EQ(field.results.at(0).properties.back().value, "abcdefghijkl");
  EXPECT_EQ(field.results.at(1).properties.back().value, "abcdefghijkm");
}

TEST(AuthenticationResults, HeaderLimitGivesPermerror) {
  Results r;
  r.dkim_error = "header block over the configured limits";
  const auto field = authentication_results("mx.test", r);
  ASSERT_EQ(field.results.size(), 1u);
  EXPECT_EQ(field.results[0].result, "permerror");
}

TEST(HasTemperror, SpfDmarcOrDkimWithoutAnyPass) {
  Results none;
  EXPECT_FALSE(has_temperror(none));
  Results spf;
  spf.spf = spf_outcome(spf::Result::temperror, "example.com");
  EXPECT_TRUE(has_temperror(spf));
  Results dkim_only;
  dkim_only.dkim = {dkim_result(dkim::Result::temperror, "a.example", "x")};
  EXPECT_TRUE(has_temperror(dkim_only));
  Results dkim_pass_too = dkim_only;
  dkim_pass_too.dkim.push_back(dkim_result(dkim::Result::pass, "b.example", "y"));
  EXPECT_FALSE(has_temperror(dkim_pass_too));
  Results dmarc;
  dmarc.dmarc = dmarc::Outcome{};
  dmarc.dmarc->result = dmarc::Result::temperror;
  EXPECT_TRUE(has_temperror(dmarc));
}

TEST(EnvelopeAddress, StripsAngleBrackets) {
  EXPECT_EQ(envelope_address("<a@example.com>"), "a@example.com");
  EXPECT_EQ(envelope_address("<>"), "");
  EXPECT_EQ(envelope_address("a@example.com"), "a@example.com");
}

}  // namespace
}  // namespace domainauth::engine
