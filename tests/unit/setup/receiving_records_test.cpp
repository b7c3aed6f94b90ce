// The parsers of check's receiving-side part: MTA-STS record and policy
// (RFC 8461 3.1, 3.2, 4.1), TLS-RPT (RFC 8460 3), BIMI records, the SVG Tiny PS
// basics, and TLSA judgement and matching (RFC 7671, RFC 7672 3.1) against a
// certificate made here.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "setup/dane.hpp"
#include "setup/mta_sts.hpp"
#include "setup/receiving_records.hpp"
#include "setup/svg_tiny_ps.hpp"

namespace domainauth::setup {
namespace {

TEST(MtaSts, Rfc8461_3_1_RecordWithId) {
  EXPECT_TRUE(is_mta_sts_record("v=STSv1; id=20260101T000000;"));
  EXPECT_FALSE(is_mta_sts_record("v=STSv10; id=1"));
  EXPECT_FALSE(is_mta_sts_record("v=spf1 -all"));
  const auto r = parse_mta_sts_record("v=STSv1; id=20260101T000000;");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.id, "20260101T000000");
}

TEST(MtaSts, Rfc8461_3_1_IdMissingOrMalformed) {
  EXPECT_EQ(parse_mta_sts_record("v=STSv1;").error, "no id= field");
  EXPECT_NE(parse_mta_sts_record("v=STSv1; id=2026-01-01").error, "");
  EXPECT_NE(parse_mta_sts_record("v=STSv1; id=" + std::string(33, 'a')).error, "");
}

TEST(MtaSts, Rfc8461_3_2_PolicyFields) {
  const auto p = parse_mta_sts_policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.Example.net\r\n"
                                      "max_age: 604800\r\nextension: ignored\r\n");
  EXPECT_TRUE(p.errors.empty()) << p.errors.front();
  EXPECT_EQ(p.mode, MtaStsMode::enforce);
  EXPECT_EQ(p.max_age, 604800u);
  EXPECT_EQ(p.mx, (std::vector<std::string>{"mail.example.com", "*.example.net"}));
}

TEST(MtaSts, Rfc8461_3_2_BadPolicies) {
  auto errors = [](std::string_view text) { return parse_mta_sts_policy(text).errors; };
  EXPECT_FALSE(errors("mode: enforce\nmx: a.example\nmax_age: 86400\n").empty()) << "no version";
  EXPECT_FALSE(errors("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 86400\n").empty());
  EXPECT_FALSE(errors("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n").empty()) << "over a year";
  EXPECT_FALSE(errors("version: STSv1\nmode: enforce\nmax_age: 86400\n").empty()) << "no mx";
  EXPECT_TRUE(errors("version: STSv1\nmode: none\nmax_age: 86400\n").empty()) << "mode none needs no mx";
  EXPECT_FALSE(errors("version: STSv1\nmode: enforce\nmx: bad host\nmax_age: 86400\n").empty());
  EXPECT_FALSE(errors("<html>not a policy</html>").empty());
}

TEST(MtaSts, Rfc8461_3_2_JunkStopsAfterTheErrorLimit) {
  std::string junk;
  for (int i = 0; i < 1000; ++i) junk += "junk\n";
  EXPECT_EQ(parse_mta_sts_policy(junk).errors.size(), kMaxMtaStsPolicyErrors + 1);
}

TEST(MtaSts, Rfc8461_4_1_WildcardMatchesOneLabel) {
  EXPECT_TRUE(mta_sts_mx_matches("mail.example.com", "MAIL.example.com"));
  EXPECT_TRUE(mta_sts_mx_matches("*.example.com", "mx1.example.com"));
  EXPECT_FALSE(mta_sts_mx_matches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(mta_sts_mx_matches("*.example.com", "example.com"));
  EXPECT_FALSE(mta_sts_mx_matches("mail.example.com", "mail.example.net"));
}

TEST(TlsRpt, Rfc8460_3_MailtoAndHttps) {
  EXPECT_TRUE(is_tls_rpt_record("v=TLSRPTv1; rua=mailto:r@example.com"));
  const auto r = parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:r@example.com, https://reports.example.com/tls");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.rua, (std::vector<std::string>{"mailto:r@example.com", "https://reports.example.com/tls"}));
}

TEST(TlsRpt, Rfc8460_3_BadRua) {
  EXPECT_EQ(parse_tls_rpt_record("v=TLSRPTv1;").error, "no rua= field");
  EXPECT_NE(parse_tls_rpt_record("v=TLSRPTv1; rua=http://example.com/").error, "");
  EXPECT_NE(parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:nobody").error, "");
  EXPECT_NE(parse_tls_rpt_record("rua=mailto:r@example.com; v=TLSRPTv1").error, "");
}

TEST(Bimi, RecordTags) {
  const auto r = parse_bimi_record("v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.logo, "https://example.com/logo.svg");
  EXPECT_EQ(r.evidence, "https://example.com/vmc.pem");
  EXPECT_NE(parse_bimi_record("v=BIMI1; l=http://example.com/logo.svg").error, "");
  const auto declined = parse_bimi_record("v=BIMI1; l=; a=;");
  EXPECT_EQ(declined.error, "");
  EXPECT_TRUE(declined.logo.empty());
}

constexpr std::string_view kGoodSvg =
    R"(<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 10 10">)"
    R"(<title>Example</title><rect width="10" height="10" fill="#c00"/></svg>)";

TEST(Svg, TinyPsBasicsHold) { EXPECT_TRUE(check_svg_tiny_ps(kGoodSvg).empty()); }

TEST(Svg, ScriptsExternalReferencesAndProfileAreReported) {
  const auto problems = check_svg_tiny_ps(
      R"(<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" x="1">)"
      R"(<script>alert(1)</script><use xlink:href="https://evil.example/x.svg#a"/></svg>)");
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_NE(all.find("baseProfile"), std::string::npos) << all;
  EXPECT_NE(all.find("<script>"), std::string::npos) << all;
  EXPECT_NE(all.find("outside the file"), std::string::npos) << all;
  EXPECT_NE(all.find("<title>"), std::string::npos) << all;
  EXPECT_NE(all.find("x= or y="), std::string::npos) << all;
}

TEST(Svg, OversizedAndMalformedFiles) {
  EXPECT_NE(check_svg_tiny_ps(std::string(kMaxBimiSvgOctets + 1, ' ')).front().find("over BIMI"), std::string::npos);
  EXPECT_NE(check_svg_tiny_ps("<svg><unclosed").front().find("not well-formed"), std::string::npos);
  EXPECT_NE(check_svg_tiny_ps("<html/>").front().find("not <svg>"), std::string::npos);
}

// A self-signed P-256 certificate, DER.
std::vector<std::uint8_t> make_certificate() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                          &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_sign(cert.get(), key.get(), EVP_sha256());
  const int length = i2d_X509(cert.get(), nullptr);
  std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  i2d_X509(cert.get(), &out);
  return der;
}

std::vector<std::uint8_t> sha256(const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> out(32);
  EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha256(), nullptr);
  return out;
}

std::vector<std::uint8_t> spki_of(const std::vector<std::uint8_t>& der) {
  const unsigned char* in = der.data();
  std::unique_ptr<X509, decltype(&X509_free)> cert(d2i_X509(nullptr, &in, static_cast<long>(der.size())), &X509_free);
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), nullptr);
  std::vector<std::uint8_t> spki(static_cast<std::size_t>(length));
  unsigned char* out = spki.data();
  i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &out);
  return spki;
}

TEST(Dane, Rfc7672_3_1_DaneEeMatchesTheServerCertificateOnly) {
  const auto leaf = make_certificate();
  const auto other = make_certificate();
  const dns::TlsaRecord ee{3, 1, 1, sha256(spki_of(leaf))};
  EXPECT_TRUE(match_tlsa(ee, {leaf}, "mx.example").matches) << "DANE-EE: no name check";
  EXPECT_FALSE(match_tlsa(ee, {other, leaf}, "mx.example").matches) << "DANE-EE looks at the server's own certificate";
  EXPECT_TRUE(match_tlsa({3, 0, 0, leaf}, {leaf}, "mx.example").matches);
  EXPECT_FALSE(match_tlsa({1, 1, 1, sha256(spki_of(leaf))}, {leaf}, "mx.example").matches)
      << "PKIX-EE is unusable for SMTP";
  EXPECT_FALSE(match_tlsa(ee, {}, "mx.example").matches);
}

// A test CA hierarchy: root -> intermediate -> leaf for mail.example and *.wild.example.
struct Issued {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                          &EVP_PKEY_free};
  std::vector<std::uint8_t> der;
};

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// issuer nullptr: self-signed. san empty: a CA.
std::unique_ptr<Issued> issue(const char* cn, const Issued* issuer, const char* san, long not_after = 3600) {
  auto out = std::make_unique<Issued>();
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -7200);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  std::unique_ptr<X509, decltype(&X509_free)> issuer_cert(nullptr, &X509_free);
  if (issuer != nullptr) {
    const unsigned char* in = issuer->der.data();
    issuer_cert.reset(d2i_X509(nullptr, &in, static_cast<long>(issuer->der.size())));
  }
  X509* signer = issuer != nullptr ? issuer_cert.get() : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  X509_set_pubkey(cert.get(), out->key.get());
  add_extension(cert.get(), signer, NID_basic_constraints, *san ? "critical,CA:FALSE" : "critical,CA:TRUE");
  if (*san) add_extension(cert.get(), signer, NID_subject_alt_name, san);
  X509_sign(cert.get(), issuer != nullptr ? issuer->key.get() : out->key.get(), EVP_sha256());
  const int length = i2d_X509(cert.get(), nullptr);
  out->der.resize(static_cast<std::size_t>(length));
  unsigned char* p = out->der.data();
  i2d_X509(cert.get(), &p);
  return out;
}

TEST(Dane, Rfc7672_3_1_2_DaneTaVerifiesTheChainUpToACa) {
  const auto root = issue("root", nullptr, "");
  const auto intermediate = issue("intermediate", root.get(), "");
  const auto leaf = issue("mail.example", intermediate.get(), "DNS:mail.example,DNS:*.wild.example");
  const auto unrelated = issue("unrelated", nullptr, "");
  const std::vector<std::vector<std::uint8_t>> chain{leaf->der, intermediate->der};
  const dns::TlsaRecord ta{2, 0, 1, sha256(intermediate->der)};
  EXPECT_TRUE(match_tlsa(ta, chain, "mail.example").matches) << match_tlsa(ta, chain, "mail.example").why;
  EXPECT_TRUE(match_tlsa({2, 1, 1, sha256(spki_of(intermediate->der))}, chain, "MAIL.example.").matches);
  EXPECT_TRUE(match_tlsa(ta, chain, "mx.wild.example").matches) << "RFC 6125 6.4.3: * matches one label";
  EXPECT_FALSE(match_tlsa(ta, chain, "a.mx.wild.example").matches) << "* matches one label only";

  TlsaMatch m = match_tlsa(ta, chain, "other.example");
  EXPECT_FALSE(m.matches);
  EXPECT_NE(m.why.find("other.example"), std::string::npos) << m.why;
  m = match_tlsa({2, 0, 1, sha256(unrelated->der)}, chain, "mail.example");
  EXPECT_FALSE(m.matches);
  EXPECT_NE(m.why.find("no CA certificate"), std::string::npos) << m.why;
  m = match_tlsa({2, 0, 1, sha256(leaf->der)}, chain, "mail.example");
  EXPECT_FALSE(m.matches) << "DANE-TA of the leaf itself";
  EXPECT_NE(m.why.find("usage 3"), std::string::npos) << m.why;

  // The anchor must be a CA, and the chain below it must verify.
  const auto not_ca = issue("not a ca", root.get(), "DNS:ca.example");
  const auto below = issue("mail.example", not_ca.get(), "DNS:mail.example");
  m = match_tlsa({2, 0, 1, sha256(not_ca->der)}, {below->der, not_ca->der}, "mail.example");
  EXPECT_FALSE(m.matches);
  EXPECT_NE(m.why.find("not a CA"), std::string::npos) << m.why;
  const auto expired = issue("mail.example", intermediate.get(), "DNS:mail.example", -3600);
  m = match_tlsa(ta, {expired->der, intermediate->der}, "mail.example");
  EXPECT_FALSE(m.matches);
  EXPECT_NE(m.why.find("expired"), std::string::npos) << m.why;
  const auto forged = issue("mail.example", unrelated.get(), "DNS:mail.example");
  m = match_tlsa(ta, {forged->der, intermediate->der}, "mail.example");
  EXPECT_FALSE(m.matches) << "a leaf the matched CA did not sign";
  // The root as the anchor, when the server sends it: the intermediate is verified too.
  EXPECT_TRUE(match_tlsa({2, 0, 1, sha256(root->der)}, {leaf->der, intermediate->der, root->der}, "mail.example")
                  .matches);
}

TEST(Dane, Rfc7671_10_1_ParametersJudged) {
  const std::vector<std::uint8_t> digest(32, 0xAB);
  EXPECT_EQ(judge_tlsa({3, 1, 1, digest}).use, TlsaUse::recommended);
  EXPECT_EQ(judge_tlsa({2, 1, 1, digest}).use, TlsaUse::recommended);
  EXPECT_EQ(judge_tlsa({3, 0, 1, digest}).use, TlsaUse::usable);
  EXPECT_EQ(judge_tlsa({1, 1, 1, digest}).use, TlsaUse::ignored);
  EXPECT_EQ(judge_tlsa({0, 1, 1, digest}).use, TlsaUse::ignored);
  EXPECT_EQ(judge_tlsa({4, 1, 1, digest}).use, TlsaUse::broken);
  EXPECT_EQ(judge_tlsa({3, 2, 1, digest}).use, TlsaUse::broken);
  EXPECT_EQ(judge_tlsa({3, 1, 3, digest}).use, TlsaUse::broken);
  EXPECT_EQ(judge_tlsa({3, 1, 2, digest}).use, TlsaUse::broken) << "32 octets for SHA-512";
  EXPECT_EQ(describe_tlsa({3, 1, 1, {0x01, 0xff}}), "3 1 1 01ff");
}

}  // namespace
}  // namespace domainauth::setup
