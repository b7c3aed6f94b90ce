// check_domain()'s receiving-side part over the in-memory resolver and a fake
// WebFetcher: MTA-STS (RFC 8461: record, policy fetch, mx patterns against the
// MX set, max_age), TLS-RPT (RFC 8460), DANE (RFC 7672: DNSSEC, usages, probe)
// and BIMI (record, logo, evidence, the DMARC precondition).
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <map>

#include "dns/sync.hpp"
#include "setup/check.hpp"
#include "support/memory_resolver.hpp"

namespace domainauth::setup {
namespace {

const auto kIp = *net::IpAddress::parse("192.0.2.10");
const std::string kPolicyUrl = "https://mta-sts.example.com/.well-known/mta-sts.txt";
const std::string kLogoUrl = "https://example.com/logo.svg";
constexpr std::string_view kLogo =
    R"(<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps"><title>Ex</title></svg>)";

class FakeFetcher : public WebFetcher {
 public:
  std::map<std::string, HttpsResult> pages;
  ProbeResult probe;
  std::vector<std::string> asked;

  HttpsResult get(const HttpsGet& request) override {
    asked.push_back(request.url);
    if (request.addresses.empty()) ADD_FAILURE() << "fetched without addresses";
    auto it = pages.find(request.url);
    if (it == pages.end()) return {"could not connect", 0, {}, {}};
    return it->second;
  }
  ProbeResult smtp_certificates(const SmtpProbe& request) override {
    asked.push_back("smtp://" + request.host);
    return probe;
  }
};

HttpsResult page(std::string body, std::string type = "text/plain") { return {{}, 200, std::move(type), std::move(body)}; }

class ReceivingCheckTest : public ::testing::Test {
 protected:
  ReceivingCheckTest() {
    zone_.add_txt("example.com", "v=spf1 ip4:192.0.2.10 -all");
    zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
    zone_.add_mx("example.com", 10, "mx1.example.com");
    zone_.add_mx("example.com", 20, "mx2.example.com");
    zone_.add_address("mx1.example.com", kIp);
    zone_.add_address("mx2.example.com", kIp);
    zone_.add_address("mta-sts.example.com", kIp);
    zone_.add_address("example.com", kIp);
    options_.domain = "example.com";
  }
  Report run() { return dns::run_sync(io_, check_domain(zone_, options_, &web_)); }
  static const Finding& find(const Report& r, std::string_view id, std::string_view subject = {}) {
    static const Finding none{"(absent)", Severity::ok, "", "", ""};
    const Finding* f = r.find(id, subject);
    EXPECT_NE(f, nullptr) << "no finding " << id << " " << subject;
    return f ? *f : none;
  }
  Report run_bimi(const std::string& dmarc, bool logo_host);
  void publish_sts(const std::string& policy) {
    zone_.add_txt("_mta-sts.example.com", "v=STSv1; id=20260101;");
    web_.pages[kPolicyUrl] = page(policy);
  }

  asio::io_context io_;
  testing::MemoryResolver zone_{io_.get_executor()};
  FakeFetcher web_;
  CheckOptions options_;
};

TEST_F(ReceivingCheckTest, NothingPublishedIsInfoOnly) {
  const Report r = run();
  EXPECT_EQ(find(r, "mta_sts.record").severity, Severity::info);
  EXPECT_EQ(find(r, "tls_rpt.record").severity, Severity::info);
  EXPECT_EQ(find(r, "dane.tlsa").severity, Severity::info);
  EXPECT_EQ(find(r, "bimi.record").severity, Severity::info);
  EXPECT_TRUE(web_.asked.empty()) << "nothing to fetch without records";
}

TEST_F(ReceivingCheckTest, Rfc8461_GoodEnforcePolicyCoveringEveryMx) {
  publish_sts("version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 604800\r\n");
  zone_.add_txt("_smtp._tls.example.com", "v=TLSRPTv1; rua=mailto:tls@example.com");
  const Report r = run();
  EXPECT_EQ(find(r, "mta_sts.record").severity, Severity::ok);
  EXPECT_EQ(find(r, "mta_sts.policy_fetch").severity, Severity::ok);
  EXPECT_EQ(find(r, "mta_sts.policy").severity, Severity::ok);
  EXPECT_EQ(find(r, "mta_sts.mode").severity, Severity::ok);
  EXPECT_EQ(find(r, "mta_sts.mx_match", "mx1.example.com").severity, Severity::ok);
  EXPECT_EQ(find(r, "mta_sts.mx_match", "mx2.example.com").severity, Severity::ok);
  EXPECT_EQ(find(r, "tls_rpt.record").severity, Severity::ok);
  EXPECT_EQ(web_.asked, std::vector<std::string>{kPolicyUrl});
}

TEST_F(ReceivingCheckTest, Rfc8461_4_1_MxOutsideThePatternsIsAnErrorInEnforceMode) {
  publish_sts("version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 3600\n");
  const Report r = run();
  EXPECT_EQ(find(r, "mta_sts.mx_match", "mx1.example.com").severity, Severity::ok);
  const Finding& f = find(r, "mta_sts.mx_match", "mx2.example.com");
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_NE(f.fix.find("mx: mx2.example.com"), std::string::npos) << f.fix;
  EXPECT_EQ(find(r, "mta_sts.max_age").severity, Severity::warning) << "an hour is under a day";
  EXPECT_EQ(find(r, "tls_rpt.record").severity, Severity::warning) << "MTA-STS without TLS-RPT";
}

TEST_F(ReceivingCheckTest, Rfc8461_3_3_FetchFailuresAndBadPolicies) {
  zone_.add_txt("_mta-sts.example.com", "v=STSv1; id=1");
  web_.pages[kPolicyUrl] = {{}, 301, "text/html", ""};
  EXPECT_EQ(find(run(), "mta_sts.policy_fetch").severity, Severity::error) << "redirects are not followed";
  web_.pages[kPolicyUrl] = {"SSL certificate problem: unable to get local issuer certificate", 0, {}, {}};
  const Report r = run();
  EXPECT_EQ(find(r, "mta_sts.policy_fetch").severity, Severity::error);
  EXPECT_NE(find(r, "mta_sts.policy_fetch").message.find("certificate"), std::string::npos);
  web_.pages[kPolicyUrl] = page("version: STSv1\nmode: sometimes\n");
  EXPECT_EQ(find(run(), "mta_sts.policy").severity, Severity::error);
  web_.pages[kPolicyUrl] = page("version: STSv1\nmode: testing\nmx: *.example.com\nmax_age: 86400\n", "text/html");
  const Report typed = run();
  EXPECT_EQ(find(typed, "mta_sts.policy_fetch").severity, Severity::warning) << "not text/plain";
  EXPECT_EQ(find(typed, "mta_sts.mode").severity, Severity::info);
}

TEST_F(ReceivingCheckTest, Rfc8461_3_1_BadOrDuplicateRecord) {
  zone_.add_txt("_mta-sts.example.com", "v=STSv1; id=not-valid!");
  EXPECT_EQ(find(run(), "mta_sts.record").severity, Severity::error);
  EXPECT_TRUE(web_.asked.empty()) << "no policy fetched for an invalid record";
  zone_.add_txt("_mta-sts.example.com", "v=STSv1; id=2");
  EXPECT_NE(find(run(), "mta_sts.record").message.find("2 records"), std::string::npos);
}

TEST_F(ReceivingCheckTest, Rfc8460_3_BadRuaIsAnError) {
  zone_.add_txt("_smtp._tls.example.com", "v=TLSRPTv1; rua=ftp://example.com/");
  EXPECT_EQ(find(run(), "tls_rpt.record").severity, Severity::error);
}

TEST_F(ReceivingCheckTest, Rfc7672_2_2_TlsaWithoutValidationIsNotTrusted) {
  zone_.add_tlsa("_25._tcp.mx1.example.com", {3, 1, 1, std::vector<std::uint8_t>(32, 1)});
  const Report unvalidated = run();
  EXPECT_EQ(find(unvalidated, "dane.tlsa", "mx1.example.com").severity, Severity::ok);
  EXPECT_EQ(find(unvalidated, "dane.dnssec", "mx1.example.com").severity, Severity::info);
  EXPECT_EQ(find(unvalidated, "tls_rpt.record").severity, Severity::warning) << "DANE without TLS-RPT";
  options_.dnssec_validating = true;
  EXPECT_EQ(find(run(), "dane.dnssec", "mx1.example.com").severity, Severity::error) << "insecure answers";
  zone_.set_dnssec("example.com", dns::Dnssec::secure);
  zone_.set_dnssec("_25._tcp.mx1.example.com", dns::Dnssec::secure);
  EXPECT_EQ(find(run(), "dane.dnssec", "mx1.example.com").severity, Severity::ok);
}

TEST_F(ReceivingCheckTest, Rfc7672_3_1_3_PkixUsagesAreWarnedAndUnusable) {
  zone_.add_tlsa("_25._tcp.mx1.example.com", {1, 1, 1, std::vector<std::uint8_t>(32, 1)});
  const Report r = run();
  EXPECT_EQ(find(r, "dane.usage", "mx1.example.com").severity, Severity::warning);
  EXPECT_EQ(find(r, "dane.usable", "mx1.example.com").severity, Severity::error);
  zone_.add_tlsa("_25._tcp.mx1.example.com", {3, 1, 1, std::vector<std::uint8_t>(31, 1)});
  EXPECT_EQ(find(run(), "dane.parameters", "mx1.example.com").severity, Severity::error) << "short digest";
}

TEST_F(ReceivingCheckTest, Rfc7672_ProbeFailureAndMismatch) {
  zone_.add_tlsa("_25._tcp.mx1.example.com", {3, 0, 0, {1, 2, 3}});
  options_.probe = true;
  web_.probe.error = "STARTTLS not offered";
  EXPECT_EQ(find(run(), "dane.probe", "mx1.example.com").severity, Severity::error);
  web_.probe = {{}, {{1, 2, 3}}};
  EXPECT_EQ(find(run(), "dane.probe", "mx1.example.com").severity, Severity::ok) << "3 0 0 is the certificate itself";
  web_.probe = {{}, {{9, 9, 9}}};
  EXPECT_EQ(find(run(), "dane.probe", "mx1.example.com").severity, Severity::error);
  EXPECT_EQ(std::count(web_.asked.begin(), web_.asked.end(), "smtp://mx1.example.com"), 3);
  EXPECT_EQ(std::count(web_.asked.begin(), web_.asked.end(), "smtp://mx2.example.com"), 0) << "no TLSA, no probe";
}

TEST_F(ReceivingCheckTest, BimiWithEnforcedDmarcLogoAndEvidence) {
  zone_.add_txt("default._bimi.example.com", "v=BIMI1; l=" + kLogoUrl + "; a=https://example.com/vmc.pem");
  web_.pages[kLogoUrl] = page(std::string(kLogo), "image/svg+xml");
  const Report r = run();
  EXPECT_EQ(find(r, "bimi.record").severity, Severity::ok);
  EXPECT_EQ(find(r, "bimi.dmarc").severity, Severity::ok);
  EXPECT_EQ(find(r, "bimi.logo").severity, Severity::ok);
  EXPECT_EQ(find(r, "bimi.evidence").severity, Severity::ok);
}

// A zone with only SPF, the given DMARC record and a BIMI record without a=.
Report ReceivingCheckTest::run_bimi(const std::string& dmarc, bool logo_host) {
  testing::MemoryResolver zone{io_.get_executor()};
  zone.add_txt("example.com", "v=spf1 -all");
  zone.add_txt("_dmarc.example.com", dmarc);
  zone.add_txt("default._bimi.example.com", "v=BIMI1; l=" + kLogoUrl);
  if (logo_host) zone.add_address("example.com", kIp);
  return dns::run_sync(io_, check_domain(zone, options_, &web_));
}

TEST_F(ReceivingCheckTest, BimiPreconditionsAndMissingEvidence) {
  web_.pages[kLogoUrl] = page("<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>");
  const Report r = run_bimi("v=DMARC1; p=quarantine; pct=50; sp=none", true);
  const Finding& dmarc = find(r, "bimi.dmarc");
  EXPECT_EQ(dmarc.severity, Severity::error);
  EXPECT_NE(dmarc.message.find("pct=100"), std::string::npos) << dmarc.message;
  EXPECT_NE(dmarc.message.find("sp=none"), std::string::npos) << dmarc.message;
  EXPECT_EQ(find(r, "bimi.logo").severity, Severity::error);
  EXPECT_NE(find(r, "bimi.logo").message.find("<script>"), std::string::npos);
  EXPECT_EQ(find(r, "bimi.evidence").severity, Severity::warning);
}

TEST_F(ReceivingCheckTest, BimiUnderPolicyNone) {
  const Report r = run_bimi("v=DMARC1; p=none", false);
  EXPECT_NE(find(r, "bimi.dmarc").message.find("p=quarantine or p=reject"), std::string::npos);
  EXPECT_EQ(find(r, "bimi.logo").severity, Severity::error) << "example.com has no address here";
}

TEST_F(ReceivingCheckTest, WithoutFetcherNothingIsFetched) {
  publish_sts("version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 604800\n");
  const Report r = dns::run_sync(io_, check_domain(zone_, options_));
  EXPECT_EQ(find(r, "mta_sts.policy_fetch").severity, Severity::info);
}

}  // namespace
}  // namespace domainauth::setup
