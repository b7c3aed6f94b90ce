// Unit tests of DKIM-Signature parsing and writing (RFC 6376 3.5, 6.1.1, 2.11).
#include <gtest/gtest.h>

#include "dkim/signature.hpp"

namespace domainauth::dkim {
namespace {

const std::string kBase = "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=AAAA; b=AAAA";

TEST(Signature, Rfc6376_3_5_AllTagsRead) {
  auto p = parse_signature(
      "v=1; a=rsa-sha256; c=relaxed; d=Example.com; s=sel; h=From : To;\r\n\tbh=AAAA; b=AA\r\n AA; "
      "i=joe=40sub.example.com; l=10; q=dns/txt; t=100; x=200; z=From:joe|To:=20x");
  ASSERT_TRUE(p.ok()) << p.error;
  const Signature& s = p.signature;
  EXPECT_EQ(s.header_canon, mail::Canonicalization::relaxed);
  EXPECT_EQ(s.body_canon, mail::Canonicalization::simple);  // c=relaxed means relaxed/simple
  EXPECT_EQ(s.headers, (std::vector<std::string>{"From", "To"}));
  EXPECT_EQ(s.identity, "joe@sub.example.com");
  EXPECT_EQ(*s.length, 10u);
  EXPECT_EQ(*s.timestamp, 100u);
  EXPECT_EQ(*s.expiration, 200u);
  EXPECT_EQ(s.b_text, "AAAA");
  EXPECT_EQ(s.b.size(), 3u);
  EXPECT_EQ(s.copied_headers, (std::vector<std::string>{"From:joe", "To: x"}));
}

TEST(Signature, Rfc6376_3_5_IdentityDefaultsToAtD) {
  auto p = parse_signature(kBase);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.signature.identity, "@example.com");
  EXPECT_EQ(p.signature.header_canon, mail::Canonicalization::simple);
}

TEST(Signature, Rfc6376_6_1_1_Permerrors) {
  const struct {
    std::string text;
    const char* why;
  } cases[] = {
      {"v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "unsupported version"},
      {"v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "unsupported algorithm"},
      {"v=1; a=rsa-sha256; d=example.com; h=from; bh=AAAA; b=AAAA", "missing required tag s="},
      {kBase + "; c=future", "unsupported canonicalization"},
      {kBase + "; c=simple/relaxed/x", "unsupported canonicalization"},
      {kBase + "; q=http", "unsupported query method"},
      {"v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; bh=AAAA; b=AAAA", "does not include From"},
      {kBase + "; i=joe@example.org", "not within d="},
      {kBase + "; i=joe@badexample.com", "not within d="},
      {kBase + "; i=nobody", "malformed i="},
      {kBase + "; l=-1", "malformed l="},
      {kBase + "; l=99999999999999999999", "malformed l="},
      {kBase + "; t=200; x=100", "earlier than t="},
      {kBase + "; t=1234567890123", "malformed t="},
      {"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=A*AA; b=AAAA", "bh= is not valid base64"},
      {"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=", "b= is not valid base64"},
      // RFC 6376 3.5: d= a domain-name, s= sub-domain labels. A '=' in a value is
      // legal tag-list syntax, so "i=" mangled into d= must not pass as a domain.
      {"v=1; a=rsa-sha256; d=example.com{ A=@x.example.com; s=sel; h=from; bh=AAAA; b=AAAA", "d= is not a domain"},
      {"v=1; a=rsa-sha256; d=example..com; s=sel; h=from; bh=AAAA; b=AAAA", "d= is not a domain"},
      {"v=1; a=rsa-sha256; d=example.com; s=se l; h=from; bh=AAAA; b=AAAA", "s= is not a selector"},
      {"v=1; a=rsa-sha256; d=example.com; s=a/b; h=from; bh=AAAA; b=AAAA", "s= is not a selector"},
      {"v=1; a=rsa-sha256; d=example.com; s=sel; h=from:sub ject; bh=AAAA; b=AAAA", "not a header field name"},
  };
  for (const auto& c : cases) {
    auto p = parse_signature(c.text);
    EXPECT_NE(p.error.find(c.why), std::string::npos) << c.text << " -> " << p.error;
  }
}

TEST(Signature, ReportsDomainAndSelectorOfABadSignature) {
  auto p = parse_signature("v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA");
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.signature.domain, "example.com");
  EXPECT_EQ(p.signature.selector, "sel");
  EXPECT_EQ(p.signature.algorithm_text, "rsa-md5");
}

// RFC 6651 3.1: r=y is kept, even on a signature that does not parse (its
// failure is what the report is about); any other value asks for nothing.
TEST(Signature, Rfc6651_3_1_ReportRequestKept) {
  EXPECT_FALSE(parse_signature(kBase).signature.reports_requested);
  auto asking = parse_signature(kBase + "; r=y");
  ASSERT_TRUE(asking.ok()) << asking.error;
  EXPECT_TRUE(asking.signature.reports_requested);
  EXPECT_FALSE(parse_signature(kBase + "; r=n").signature.reports_requested);
  EXPECT_FALSE(parse_signature(kBase + "; r=Y").signature.reports_requested);
  auto broken = parse_signature("v=1; a=rsa-md5; d=example.com; s=sel; r=y; h=from; bh=AAAA; b=AAAA");
  EXPECT_FALSE(broken.ok());
  EXPECT_TRUE(broken.signature.reports_requested);
  EXPECT_FALSE(parse_signature(kBase + "; r=y", SignatureKind::arc_message_signature).signature.reports_requested);
}

TEST(Signature, Rfc6376_3_7_BValueRemovedWithItsWhiteSpace) {
  mail::HeaderField f{"DKIM-Signature", "DKIM-Signature: v=1; bh=AB; b=XY\r\n\tZW ; d=x"};
  EXPECT_EQ(without_b_value(f).raw, "DKIM-Signature: v=1; bh=AB; b=; d=x");
  mail::HeaderField last{"DKIM-Signature", "DKIM-Signature: v=1; b =XY\r\n\tZW"};
  EXPECT_EQ(without_b_value(last).raw, "DKIM-Signature: v=1; b =");
}

TEST(Signature, Rfc6376_2_11_QuotedPrintable) {
  EXPECT_EQ(*decode_quoted_printable("a=3Db=20c"), "a=b c");
  EXPECT_FALSE(decode_quoted_printable("a=3"));
  EXPECT_FALSE(decode_quoted_printable("a=ZZ"));
  EXPECT_EQ(encode_quoted_printable("a=b;c d|\xe9"), "a=3Db=3Bc=20d=7C=E9");
}

TEST(Signature, WithinDomain) {
  EXPECT_TRUE(is_within("mail.example.com", "example.com"));
  EXPECT_TRUE(is_within("EXAMPLE.com.", "example.COM"));
  EXPECT_FALSE(is_within("badexample.com", "example.com"));
  EXPECT_FALSE(is_within("example.com", "mail.example.com"));
}

TEST(Signature, WrittenFieldParsesBackAndStaysUnder80Columns) {
  Signature s;
  s.algorithm = Algorithm::ed25519_sha256;
  s.header_canon = mail::Canonicalization::relaxed;
  s.domain = "example.com";
  s.selector = "sel";
  s.identity = "joe@example.com";
  s.timestamp = 1700000000;
  s.expiration = 1700086400;
  s.headers = {"from", "from", "to", "subject", "date", "message-id", "mime-version", "content-type",
               "content-transfer-encoding", "reply-to", "cc"};
  s.bh = std::string(32, 'x');
  s.b = std::string(256, 'y');
  std::string field = format_signature(s, true);
  std::size_t start = 0;
  while (start < field.size()) {
    auto end = field.find("\r\n", start);
    if (end == std::string::npos) end = field.size();
    EXPECT_LE(end - start, 78u) << field;
    start = end + 2;
  }
  auto parsed = mail::parse_header_field(field);
  ASSERT_TRUE(parsed);
  auto back = parse_signature(parsed->value());
  ASSERT_TRUE(back.ok()) << back.error;
  EXPECT_EQ(back.signature.headers, s.headers);
  EXPECT_EQ(back.signature.b, s.b);
  EXPECT_EQ(back.signature.bh, s.bh);
  EXPECT_EQ(back.signature.identity, s.identity);
  EXPECT_EQ(*back.signature.expiration, 1700086400u);
  EXPECT_EQ(back.signature.body_canon, mail::Canonicalization::simple);
}

}  // namespace
}  // namespace domainauth::dkim
