// Macro syntax and expansion (RFC 7208 7): the 7.4 examples, transformers,
// delimiters, escapes, letters allowed only in exp text, and the 253-octet
// truncation of domain names.
#include <gtest/gtest.h>

#include "spf/macro.hpp"

namespace domainauth::spf {
namespace {

MacroContext rfc_context(const char* ip) {
  MacroContext c;
  c.sender = "strong-bad@email.example.com";
  c.local_part = "strong-bad";
  c.sender_domain = "email.example.com";
  c.domain = "email.example.com";
  c.ip = *net::IpAddress::parse(ip);
  c.validated_name = "mx.example.org";
  c.helo = "mail.example.net";
  c.receiver = "mx.example.net";
  c.timestamp = 1700000000;
  return c;
}

struct ExpandCase {
  const char* macro;
  const char* want;
};

TEST(SpfMacro, Rfc7208Section7_4ExamplesIpv4) {
  const ExpandCase cases[] = {
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
  };
  MacroContext c = rfc_context("192.0.2.3");
  for (const auto& t : cases) {
    Expansion e = expand(t.macro, c, MacroUse::domain);
    EXPECT_TRUE(e.ok()) << t.macro << ": " << e.error;
    EXPECT_EQ(e.text, t.want) << t.macro;
  }
}

TEST(SpfMacro, Rfc7208Section7_4ExampleIpv6) {
  Expansion e = expand("%{ir}.%{v}._spf.%{d2}", rfc_context("2001:db8::cb01"), MacroUse::domain);
  EXPECT_EQ(e.text, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(SpfMacro, Rfc7208Section7_3LettersTransformersAndEscapes) {
  const ExpandCase cases[] = {
      {"%{p}", "mx.example.org"},
      {"%{h}", "mail.example.net"},
      {"%{c}", "192.0.2.3"},
      {"%{r}", "mx.example.net"},
      {"%{t}", "1700000000"},
      {"%%%_%-", "% %20"},
      {"%{S}", "strong-bad%40email.example.com"},          // upper case: URL-escaped
      {"%{L}", "strong-bad"},                              // unreserved stays
      {"%{d127}", "email.example.com"},                    // more parts than there are
      {"%{d99999999999999999999}", "email.example.com"},  // huge digit count saturates
      {"%{s@}", "strong-bad@email.example.com"},           // wrong: '@' is no delimiter -> error below
  };
  MacroContext c = rfc_context("192.0.2.3");
  for (const auto& t : cases) {
    Expansion e = expand(t.macro, c, MacroUse::explanation);
    if (std::string_view(t.macro) == "%{s@}") {
      EXPECT_FALSE(e.ok());
      continue;
    }
    EXPECT_TRUE(e.ok()) << t.macro << ": " << e.error;
    EXPECT_EQ(e.text, t.want) << t.macro;
  }
}

TEST(SpfMacro, Rfc7208Section7_3CIpv6IsReadable) {
  Expansion e = expand("%{c} %{i}", rfc_context("2001:db8::cb01"), MacroUse::explanation);
  EXPECT_EQ(e.text, "2001:db8::cb01 2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
}

TEST(SpfMacro, Rfc7208Section7_1SyntaxErrors) {
  struct Case {
    const char* text;
    MacroUse use;
    bool valid;
  } cases[] = {
      {"%{ir}.sbl.example.org", MacroUse::domain, true},
      {"%(ir).sbl.example.org", MacroUse::domain, false},  // RFC 7208 7.3 example
      {"foo%", MacroUse::domain, false},
      {"%{", MacroUse::domain, false},
      {"%{i", MacroUse::domain, false},
      {"%{x}", MacroUse::domain, false},
      {"%{d0}", MacroUse::domain, false},  // digit must be nonzero
      {"%{c}", MacroUse::domain, false},   // c, r, t only in exp text
      {"%{r}", MacroUse::domain, false},
      {"%{t}", MacroUse::domain, false},
      {"%{c} %{r} %{t}", MacroUse::explanation, true},
      {"a b", MacroUse::domain, false},  // spaces only in explanations
      {"caf\xC3\xA9", MacroUse::explanation, false},
      {"tab\there", MacroUse::explanation, false},
      {"%{d2r+-.,/_=}", MacroUse::domain, true},
      {"%{D2R}", MacroUse::domain, true},
  };
  for (const auto& t : cases) EXPECT_EQ(check_macro_string(t.text, t.use).empty(), t.valid) << t.text;
}

TEST(SpfMacro, Rfc7208Section7_1DomainSpecEnd) {
  struct Case {
    const char* text;
    bool valid;
  } cases[] = {
      {"example.com", true},
      {"example.com.", true},
      {"foo.example.xn--zckzah", true},
      {"%{d}", true},
      {"_spf.%{d2}", true},
      {"foo:bar/baz.example.com", true},
      {"museum", false},
      {"museum.", false},
      {"foo-bar", false},
      {"abc.123", false},
      {"111.222.33.44", false},
      {"example.com:8080", false},
      {"example.-com", false},
      {"example.com-", false},
      {"%{d}com", false},
      {"", false},
      {"-all", false},
  };
  for (const auto& t : cases) EXPECT_EQ(check_domain_spec(t.text).empty(), t.valid) << t.text;
}

TEST(SpfMacro, Rfc7208Section7_3TruncatesDomainFromTheLeft) {
  MacroContext c = rfc_context("192.0.2.3");
  std::string spec;
  for (int i = 0; i < 20; ++i) spec += "%{o}.";
  spec += "example.com";
  Expansion e = expand_domain(spec, c);
  ASSERT_TRUE(e.ok()) << e.error;
  // 371 octets: six whole "email.example.com." groups, then "email." and
  // "example." go; 249 octets remain.
  std::string want = "com.";
  for (int i = 0; i < 13; ++i) want += "email.example.com.";
  want += "example.com";
  EXPECT_EQ(e.text, want);
  EXPECT_EQ(e.text.size(), 249u);
}

TEST(SpfMacro, Rfc7208Section7_3SingleHugeLabelIsAnError) {
  MacroContext c = rfc_context("192.0.2.3");
  std::string local(300, 'x');
  c.local_part = local;
  Expansion e = expand_domain("%{l}%{l}", c);
  EXPECT_FALSE(e.ok());
}

TEST(SpfMacro, TrailingDotDroppedForDomainsKeptForText) {
  MacroContext c = rfc_context("192.0.2.3");
  EXPECT_EQ(expand_domain("example.com.", c).text, "example.com");
  EXPECT_EQ(expand("This is a test.", c, MacroUse::explanation).text, "This is a test.");
}

TEST(SpfMacro, ExpansionIsBounded) {
  MacroContext c = rfc_context("192.0.2.3");
  std::string sender(1000, 's');
  c.sender = sender;
  std::string text;
  for (int i = 0; i < 100; ++i) text += "%{s}";
  EXPECT_FALSE(expand(text, c, MacroUse::explanation).ok());
}

TEST(SpfMacro, UsesValidatedName) {
  EXPECT_TRUE(uses_validated_name("%{p}.example.com"));
  EXPECT_TRUE(uses_validated_name("%{P2r}"));
  EXPECT_FALSE(uses_validated_name("%{d}.p.example.com"));
}

}  // namespace
}  // namespace domainauth::spf
