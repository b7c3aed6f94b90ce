// check_domain() over the in-memory resolver: a good zone is clean, and each
// broken zone gives its finding (RFC 7208 4.5 one record, 4.6.4 10 lookups and
// 2 void lookups, RFC 6376 3.6.1 key records, RFC 7489 6.3 p=none, PTR/FCrDNS).
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "dns/sync.hpp"
#include "setup/check.hpp"
#include "support/memory_resolver.hpp"

namespace domainauth::setup {
namespace {

const auto kIp = *net::IpAddress::parse("192.0.2.10");

dkim::PrivateKey make_key(dkim::KeyType type = dkim::KeyType::ed25519) {
  std::string error;
  return *dkim::PrivateKey::generate(type, type == dkim::KeyType::rsa ? 2048 : 0, &error);
}

// One RSA key for every test: generating 2048-bit keys is slow.
const dkim::PrivateKey& rsa_key() {
  static const dkim::PrivateKey key = make_key(dkim::KeyType::rsa);
  return key;
}

class CheckTest : public ::testing::Test {
 protected:
  CheckTest() {
    fill(zone_, "v=spf1 ip4:192.0.2.10 -all", "v=DMARC1; p=reject; rua=mailto:d@example.com");
    options_.domain = "example.com";
    options_.ips = {kIp};
    options_.helo = "mail.example.com";
    options_.selectors.push_back({"sel", key_, "sel.private"});
  }
  // A zone that passes everything but what spf and dmarc get wrong.
  void fill(testing::MemoryResolver& zone, const std::string& spf, const std::string& dmarc) {
    zone.add_txt("example.com", spf);
    zone.add_txt("sel._domainkey.example.com", key_.key_record());
    zone.add_txt("_dmarc.example.com", dmarc);
    zone.add_mx("example.com", 10, "mail.example.com");
    zone.add_address("mail.example.com", kIp);
    zone.add_ptr(kIp.reverse_name(), "mail.example.com");
  }
  Report run() { return dns::run_sync(io_, check_domain(zone_, options_)); }
  static Severity severity(const Report& r, std::string_view id) {
    const Finding* f = r.find(id);
    EXPECT_NE(f, nullptr) << "no finding " << id;
    return f ? f->severity : Severity::ok;
  }

  asio::io_context io_;
  testing::MemoryResolver zone_{io_.get_executor()};
  dkim::PrivateKey key_ = rsa_key();
  CheckOptions options_;
};

TEST_F(CheckTest, GoodZoneHasNoErrorsOrWarnings) {
  auto r = run();
  for (const auto& f : r.findings) {
    EXPECT_TRUE(f.severity == Severity::ok || f.severity == Severity::info) << f.id << ": " << f.message;
  }
  EXPECT_EQ(r.spf_lookups, 0);
  EXPECT_EQ(severity(r, "requirements.dkim"), Severity::ok);
  EXPECT_EQ(severity(r, "dkim.matches_local"), Severity::ok);
}

TEST_F(CheckTest, Rfc7208_4_5_NoSpfRecord) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_name("example.com");
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(severity(r, "spf.present"), Severity::error);
  EXPECT_EQ(severity(r, "requirements.spf"), Severity::error);
  EXPECT_TRUE(r.has_errors());
}

TEST_F(CheckTest, Rfc7208_4_5_TwoSpfRecordsArePermerror) {
  zone_.add_txt("example.com", "v=spf1 mx -all");
  EXPECT_EQ(severity(run(), "spf.single"), Severity::error);
}

TEST_F(CheckTest, Rfc7208_4_6_4_ElevenLookupsInTheIncludeChain) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 include:i1.example.net ip4:192.0.2.10 -all");
  for (int i = 1; i <= 11; ++i) {
    std::string next = i < 11 ? " include:i" + std::to_string(i + 1) + ".example.net" : "";
    zone.add_txt("i" + std::to_string(i) + ".example.net", "v=spf1" + next + " ip4:198.51.100." + std::to_string(i) + " -all");
  }
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(r.spf_lookups, 11);
  EXPECT_EQ(severity(r, "spf.lookups"), Severity::error);
  EXPECT_EQ(r.spf_tree.size(), 12u);
  EXPECT_EQ(severity(r, "spf.authorizes_ip"), Severity::error);  // permerror before reaching ip4
}

TEST_F(CheckTest, Rfc7208_4_6_4_ThreeVoidLookups) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 a:gone1.example.com a:gone2.example.com a:gone3.example.com ip4:192.0.2.10 -all");
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(severity(r, "spf.void_lookups"), Severity::error);
}

// RFC 7208 4.6.4: two void lookups are within the limit; the address passes,
// so the requirement is met and nothing is an error.
TEST_F(CheckTest, Rfc7208_4_6_4_TwoVoidLookupsAreAWarningOnly) {
  testing::MemoryResolver zone{io_.get_executor()};
  fill(zone, "v=spf1 a:gone1.example.com a:gone2.example.com ip4:192.0.2.10 -all", "v=DMARC1; p=reject");
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(severity(r, "spf.void_lookups"), Severity::warning);
  EXPECT_NE(r.find("spf.void_lookups")->message.find("gone2.example.com"), std::string::npos);
  EXPECT_EQ(r.find("spf.tree"), nullptr);
  EXPECT_EQ(severity(r, "spf.authorizes_ip"), Severity::ok);
  EXPECT_EQ(severity(r, "requirements.spf"), Severity::ok);
  EXPECT_FALSE(r.has_errors());
}

TEST_F(CheckTest, Rfc7208_5_1_PlusAllIsAnError) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 +all");
  EXPECT_EQ(severity(dns::run_sync(io_, check_domain(zone, options_)), "spf.all"), Severity::error);
}

TEST_F(CheckTest, SpfThatDoesNotNameTheAddress) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 ip4:203.0.113.1 -all");
  EXPECT_EQ(severity(dns::run_sync(io_, check_domain(zone, options_)), "spf.authorizes_ip"), Severity::error);
}

TEST_F(CheckTest, Rfc6376_3_6_1_KeyThatDoesNotMatchTheLocalKey) {
  options_.selectors.front().local_key = make_key();
  auto r = run();
  EXPECT_EQ(severity(r, "dkim.matches_local"), Severity::error);
  EXPECT_EQ(severity(r, "requirements.dkim"), Severity::error);
}

TEST_F(CheckTest, Rfc6376_3_6_1_MissingAndTestingKeys) {
  options_.selectors.push_back({"absent", std::nullopt, {}});
  zone_.add_txt("t._domainkey.example.com", key_.key_record() + "; t=y");
  options_.selectors.push_back({"t", std::nullopt, {}});
  auto r = run();
  EXPECT_EQ(r.find("dkim.present", "absent")->severity, Severity::error);
  EXPECT_EQ(r.find("dkim.testing", "t")->severity, Severity::warning);
}

// RFC 6651 3.2: with sign.request_reports our signatures carry r=y; check looks
// for the reporting record: absent is a warning, unusable an error, and nothing
// is looked up without r=y.
TEST_F(CheckTest, Rfc6651_3_2_ReportingRecordWhenReportsAreRequested) {
  EXPECT_EQ(run().find("dkim.report_record"), nullptr);
  options_.request_reports = true;
  EXPECT_EQ(severity(run(), "dkim.report_record"), Severity::warning);
  zone_.add_txt("_report._domainkey.example.com", "ra=dkim..bad");
  auto r = run();
  EXPECT_EQ(severity(r, "dkim.report_record"), Severity::error);
  EXPECT_NE(r.find("dkim.report_record")->message.find("not a local-part"), std::string::npos);
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 ip4:192.0.2.10 -all");
  zone.add_txt("_report._domainkey.example.com", "ra=dkim-reports; rp=50");
  r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(severity(r, "dkim.report_record"), Severity::ok);
  EXPECT_NE(r.find("dkim.report_record")->message.find("dkim-reports@example.com (rp=50%)"), std::string::npos);
}

// RFC 8463 keys are valid, but Gmail and Microsoft verify only RSA signatures:
// an Ed25519 selector alone does not meet the requirement; with an RSA one it does.
TEST_F(CheckTest, Rfc8463_Ed25519KeyAloneDoesNotMeetTheRequirement) {
  const dkim::PrivateKey ed = make_key();
  zone_.add_txt("ed._domainkey.example.com", ed.key_record());
  options_.selectors = {{"ed", ed, "ed.private"}};
  auto r = run();
  EXPECT_EQ(r.find("dkim.valid", "ed")->severity, Severity::ok);
  EXPECT_EQ(severity(r, "requirements.dkim"), Severity::error);
  EXPECT_NE(r.find("requirements.dkim")->message.find("Ed25519"), std::string::npos);
  EXPECT_NE(r.find("requirements.dkim")->fix.find("RSA"), std::string::npos);
  options_.selectors.push_back({"sel", key_, "sel.private"});
  EXPECT_EQ(severity(run(), "requirements.dkim"), Severity::ok);
}

TEST_F(CheckTest, Rfc8301_3_2_SmallRsaKey) {
  std::string error;
  auto small = *dkim::PrivateKey::generate(dkim::KeyType::rsa, 1024, &error);
  zone_.add_txt("small._domainkey.example.com", small.key_record());
  options_.selectors = {{"small", small, "small.private"}};
  EXPECT_EQ(run().find("dkim.key_size", "small")->severity, Severity::warning);
}

TEST_F(CheckTest, Rfc7489_6_3_PolicyNoneIsAWarningButMeetsTheRequirement) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 ip4:192.0.2.10 -all");
  zone.add_txt("_dmarc.example.com", "v=DMARC1; p=none");
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(severity(r, "dmarc.policy"), Severity::warning);
  EXPECT_EQ(severity(r, "dmarc.rua"), Severity::warning);
  EXPECT_EQ(severity(r, "requirements.dmarc"), Severity::ok);
}

// RFC 7489 6.3 sp=: p=reject with sp=none leaves every subdomain unprotected.
TEST_F(CheckTest, Rfc7489_6_3_SubdomainPolicyNoneUnderRejectIsAWarning) {
  testing::MemoryResolver zone{io_.get_executor()};
  fill(zone, "v=spf1 ip4:192.0.2.10 -all", "v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com");
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  ASSERT_NE(r.find("dmarc.subdomain_policy"), nullptr);
  EXPECT_EQ(r.find("dmarc.subdomain_policy")->severity, Severity::warning);
  EXPECT_NE(r.find("dmarc.subdomain_policy")->fix.find("sp=reject"), std::string::npos);
  EXPECT_EQ(severity(r, "dmarc.policy"), Severity::ok);
  EXPECT_EQ(run().find("dmarc.subdomain_policy"), nullptr);
}

TEST_F(CheckTest, Rfc7489_7_1_ExternalReportDomainNeedsAuthorization) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 ip4:192.0.2.10 -all");
  zone.add_txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:r@reports.example.net");
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(severity(r, "dmarc.rua_authorized"), Severity::warning);
  zone.add_txt("example.com._report._dmarc.reports.example.net", "v=DMARC1");
  EXPECT_EQ(dns::run_sync(io_, check_domain(zone, options_)).find("dmarc.rua_authorized"), nullptr);
}

TEST_F(CheckTest, MissingDmarcIsAnError) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 ip4:192.0.2.10 -all");
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(severity(r, "dmarc.present"), Severity::error);
  EXPECT_EQ(severity(r, "requirements.dmarc"), Severity::error);
}

TEST_F(CheckTest, NoPtrAndNoForwardConfirmation) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 ip4:192.0.2.10 -all");
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(severity(r, "ptr.present"), Severity::error);
  EXPECT_EQ(severity(r, "requirements.ptr"), Severity::error);
  zone.add_ptr(kIp.reverse_name(), "elsewhere.example.net");
  r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_EQ(severity(r, "ptr.fcrdns"), Severity::error);
}

// A server sending over IPv4 and IPv6 (Postfix's smtp_bind_address and
// smtp_bind_address6): each address is judged, with the address as subject.
TEST_F(CheckTest, EverySendingAddressIsCheckedIpv6Too) {
  const auto v6 = *net::IpAddress::parse("2001:db8::10");
  options_.ips.push_back(v6);
  zone_.add_address("mail.example.com", v6);
  auto r = run();
  EXPECT_EQ(r.ip, "192.0.2.10, 2001:db8::10");
  EXPECT_EQ(r.find("spf.authorizes_ip", "192.0.2.10")->severity, Severity::ok);
  EXPECT_EQ(r.find("spf.authorizes_ip", "2001:db8::10")->severity, Severity::error) << "ip6 missing from SPF";
  EXPECT_EQ(r.find("ptr.present", "192.0.2.10")->severity, Severity::ok);
  EXPECT_EQ(r.find("ptr.present", "2001:db8::10")->severity, Severity::error) << "no PTR for the IPv6 address";
  EXPECT_EQ(r.find("requirements.ptr", "192.0.2.10")->severity, Severity::ok);
  EXPECT_EQ(r.find("requirements.ptr", "2001:db8::10")->severity, Severity::error);
  EXPECT_EQ(severity(r, "requirements.spf"), Severity::error);
  zone_.add_ptr(v6.reverse_name(), "mail.example.com");
  EXPECT_EQ(run().find("requirements.ptr", "2001:db8::10")->severity, Severity::ok);
}

// check --postfix: the keys of a domain Postfix takes mail for, published or not.
TEST_F(CheckTest, PublishedKeysOfAPostfixDomain) {
  Report published;
  dns::run_sync(io_, check_published_keys(zone_, options_, published));
  ASSERT_EQ(published.findings.size(), 1u);
  EXPECT_EQ(published.find("postfix.published_keys", "example.com")->severity, Severity::ok);
  options_.domain = "other.example";
  Report missing;
  dns::run_sync(io_, check_published_keys(zone_, options_, missing));
  const Finding* f = missing.find("postfix.published_keys", "other.example");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::error);
  EXPECT_NE(f->message.find("selector sel: no key record"), std::string::npos) << f->message;
}

TEST_F(CheckTest, MismatchedHelo) {
  options_.helo = "other.example.com";
  auto r = run();
  EXPECT_EQ(severity(r, "helo.resolves"), Severity::warning);
  EXPECT_EQ(severity(r, "helo.matches_ptr"), Severity::warning);
}

TEST_F(CheckTest, DnsFailureOfTheFirstLookupStopsTheCheck) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.set_servfail("example.com");
  auto r = dns::run_sync(io_, check_domain(zone, options_));
  EXPECT_TRUE(r.dns_failed);
  EXPECT_EQ(r.findings.size(), 1u);
}

TEST_F(CheckTest, DnssecBogusAnswersAreAnError) {
  options_.dnssec_validating = true;
  zone_.set_dnssec("example.com", dns::Dnssec::bogus);
  EXPECT_EQ(severity(run(), "dnssec.status"), Severity::error);
}

TEST_F(CheckTest, JsonCarriesIdsAndSummary) {
  auto json = to_json(run());
  EXPECT_EQ(json["domain"], "example.com");
  EXPECT_EQ(json["summary"]["error"], 0);
  EXPECT_TRUE(json["findings"].is_array());
  EXPECT_EQ(json["findings"][0]["id"], "spf.present");
}

}  // namespace
}  // namespace domainauth::setup
