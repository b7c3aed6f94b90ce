// SPF record parsing (RFC 7208 4.5, 4.6, 5, 6): version check, every
// mechanism's syntax with qualifiers and CIDR lengths, modifiers, and the
// permerror reasons for malformed terms.
#include <gtest/gtest.h>

#include "spf/record.hpp"

namespace domainauth::spf {
namespace {

TEST(SpfRecord, Rfc7208Section4_5VersionCheck) {
  struct Case {
    const char* text;
    bool spf;
  } cases[] = {
      {"v=spf1", true},        {"v=spf1 -all", true}, {"V=SpF1 ~all", true}, {"v=spf10", false},
      {"v=spf1mx", false},     {"v=spf2 -all", false}, {" v=spf1", false},   {"", false},
      {"v=spf1\t-all", false}, {"spf1", false},
  };
  for (const auto& t : cases) EXPECT_EQ(is_spf_record(t.text), t.spf) << t.text;
}

TEST(SpfRecord, Rfc7208Section5MechanismsParse) {
  ParsedRecord p = parse_record(
      "v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24//64 mx//64 mx:%{d}/16 ptr ptr:example.org "
      "ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.bl.example.net IP4:192.0.2.1");
  ASSERT_TRUE(p.ok()) << p.error;
  const auto& m = p.record.mechanisms;
  ASSERT_EQ(m.size(), 12u);
  EXPECT_EQ(m[0].kind, MechanismKind::all);
  EXPECT_EQ(m[0].qualifier, Qualifier::pass);
  EXPECT_EQ(m[1].kind, MechanismKind::include);
  EXPECT_EQ(m[1].qualifier, Qualifier::fail);
  EXPECT_EQ(m[1].domain_spec, "_spf.example.com");
  EXPECT_EQ(m[2].kind, MechanismKind::a);
  EXPECT_EQ(m[2].qualifier, Qualifier::softfail);
  EXPECT_EQ(m[2].domain_spec, "");
  EXPECT_EQ(m[3].qualifier, Qualifier::neutral);
  EXPECT_EQ(m[3].domain_spec, "mail.example.com");
  EXPECT_EQ(m[3].cidr4, 24u);
  EXPECT_EQ(m[3].cidr6, 64u);
  EXPECT_EQ(m[4].kind, MechanismKind::mx);
  EXPECT_EQ(m[4].cidr4, 32u);
  EXPECT_EQ(m[4].cidr6, 64u);
  EXPECT_EQ(m[5].domain_spec, "%{d}");
  EXPECT_EQ(m[5].cidr4, 16u);
  EXPECT_EQ(m[6].kind, MechanismKind::ptr);
  EXPECT_EQ(m[7].domain_spec, "example.org");
  EXPECT_EQ(m[8].kind, MechanismKind::ip4);
  EXPECT_EQ(m[8].network.to_string(), "192.0.2.0/24");
  EXPECT_EQ(m[9].kind, MechanismKind::ip6);
  EXPECT_EQ(m[9].network.to_string(), "2001:db8::/32");
  EXPECT_EQ(m[10].kind, MechanismKind::exists);
  EXPECT_EQ(m[11].network.to_string(), "192.0.2.1");
  EXPECT_EQ(m[11].text, "IP4:192.0.2.1");
  EXPECT_TRUE(p.record.has_all());
  EXPECT_FALSE(m[0].queries_dns());
  EXPECT_TRUE(m[1].queries_dns());
}

TEST(SpfRecord, Rfc7208Section6Modifiers) {
  ParsedRecord p = parse_record("v=spf1 a  redirect=_spf.example.com exp=explain.%{d} moo.cow-far_out=man:dog/cat ");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.record.mechanisms.size(), 1u);
  EXPECT_EQ(p.record.redirect, "_spf.example.com");
  EXPECT_EQ(p.record.exp, "explain.%{d}");
  EXPECT_FALSE(p.record.has_all());
}

// Each malformed record, and a word its reason must contain.
TEST(SpfRecord, Rfc7208Section4_6SyntaxErrorsArePermerror) {
  using namespace std::string_view_literals;
  struct Case {
    std::string_view text;
    const char* reason;
  } cases[] = {
      {"v=spf1 ip4:1.2.3.4 -all moo", "unknown mechanism in term \"moo\""},
      {"v=spf1 -all.", "unknown mechanism in term \"-all.\""},
      {"v=spf1 -all:foobar", "takes no argument"},
      {"v=spf1 -all/8", "takes no argument"},
      {"v=spf1 moo.cow/far_out=man:dog/cat", "unknown mechanism"},
      {"v=spf1 redirect:t2.example.com", "unknown mechanism"},
      {"v=spf1 1up=foo", "unknown mechanism"},
      {"v=spf1 =all", "unknown mechanism"},
      {"v=spf1 include", "needs"},
      {"v=spf1 include:", "empty domain-spec"},
      {"v=spf1 include:ip5.example.com/24", "top label"},
      {"v=spf1 exists", "needs"},
      {"v=spf1 exists:mail.example.com/24", "top label"},
      {"v=spf1 a:", "empty domain-spec"},
      {"v=spf1 a/33", "IPv4 CIDR"},
      {"v=spf1 a//129", "IPv6 CIDR"},
      {"v=spf1 a/24/64", "CIDR"},
      {"v=spf1 a/032", "IPv4 CIDR"},
      {"v=spf1 a:museum", "must end"},
      {"v=spf1 a:abc.123", "top label"},
      {"v=spf1 a:example.com:8080", "top label"},
      {"v=spf1 mx:example.-com", "top label"},
      {"v=spf1 ptr/0", "unexpected"},
      {"v=spf1 ptr:", "empty domain-spec"},
      {"v=spf1 ip4", "needs"},
      {"v=spf1 ip4:1.2.3", "invalid IPv4"},
      {"v=spf1 ip4:1.2.3.4:8080", "invalid IPv4"},
      {"v=spf1 ip4:1.2.3.4/33", "CIDR"},
      {"v=spf1 ip4:1.2.3.4/032", "CIDR"},
      {"v=spf1 ip4:1.2.3.4//32", "CIDR"},
      {"v=spf1 ip4:256.2.3.4", "invalid IPv4"},
      {"v=spf1 ip4:::1", "invalid IPv4"},
      {"v=spf1 ip6:1.2.3.4", "invalid IPv6"},
      {"v=spf1 ip6::CAFE::BABE", "invalid IPv6"},
      {"v=spf1 ip6:::1.1.1.1/129", "CIDR"},
      {"v=spf1 ip6:::1.1.1.1//33", "CIDR"},
      {"v=spf1 exp=a.example.com exp=b.example.com", "more than once"},
      {"v=spf1 redirect=a.example.com redirect=a.example.com", "more than once"},
      {"v=spf1 exp=", "empty domain-spec"},
      {"v=spf1 redirect=-all", "must end"},
      {"v=spf1 exp=%{r}.example.com", "only in exp text"},
      {"v=spf1 foo=%abc", "bad macro"},
      {"v=spf1 -exists:%(ir).sbl.example.com", "bad macro"},
      {"v=spf1 a:ctrl.example.com\rptr -all", "non-printable"},
      {"v=spf1 ip4:192.0.2.5\n include:x.example.com", "non-printable"},
      {"v=spf1 a:\xEF\xBB\xBFgarbage.example.net", "non-ASCII"},
      {"v=spf1 a:foo.example.com\0"sv, "non-printable"},
      {"v=spf1x", "v=spf1"},
  };
  for (const auto& t : cases) {
    ParsedRecord p = parse_record(t.text);
    EXPECT_FALSE(p.ok()) << t.text;
    EXPECT_NE(p.error.find(t.reason), std::string::npos) << t.text << " -> " << p.error;
    EXPECT_TRUE(p.record.mechanisms.empty()) << t.text;
  }
}

TEST(SpfRecord, ErrorQuotesTheTermSafely) {
  ParsedRecord p = parse_record("v=spf1 a:x.example.com\r\nX-Injected:\"yes\"");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error.find('\r'), std::string::npos);
  EXPECT_EQ(p.error.find('\n'), std::string::npos);
  EXPECT_NE(p.error.find("\\x0D\\x0A"), std::string::npos) << p.error;
}

TEST(SpfRecord, OverlongRecordIsRefused) {
  std::string text = "v=spf1";
  while (text.size() <= kMaxRecordLength) text += " ip4:192.0.2.1";
  ParsedRecord p = parse_record(text);
  EXPECT_FALSE(p.ok());
  EXPECT_NE(p.error.find("longer than"), std::string::npos);
}

TEST(SpfRecord, LongButValidRecordParses) {
  std::string text = "v=spf1";
  for (int i = 0; i < 2000; ++i) text += " ip4:192.0.2." + std::to_string(i % 256);
  ParsedRecord p = parse_record(text + " -all");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.record.mechanisms.size(), 2001u);
}

TEST(SpfRecord, EmptyRecordHasNoTerms) {
  ParsedRecord p = parse_record("v=spf1   ");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p.record.mechanisms.empty());
  EXPECT_FALSE(p.record.redirect);
}

}  // namespace
}  // namespace domainauth::spf
