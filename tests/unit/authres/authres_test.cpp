// Unit tests of the Authentication-Results writer and parser (RFC 8601 2.2,
// Appendix B examples) and of the escaping that keeps message data from
// injecting header syntax.
#include <gtest/gtest.h>

#include "authres/authres.hpp"

namespace ar = domainauth::authres;

TEST(AuthresFormat, Rfc8601B2NoResults) {
  EXPECT_EQ(ar::format({"example.org", {}}), " example.org; none");
}

TEST(AuthresFormat, WritesMethodsReasonsAndProperties) {
  ar::Field f{"mx.example.org",
              {{"spf", "pass", "", "", {{"smtp", "mailfrom", "sender@example.net"}}},
               {"dkim", "fail", "2048-bit key", "signature did not verify",
                {{"header", "d", "example.net"}, {"header", "s", "sel1"}, {"header", "b", "abcdEFGH"}}}}};
  // "Authentication-Results:" takes 23 columns of the first line.
  EXPECT_EQ(ar::format(f, "\n\t"),
            " mx.example.org; spf=pass\n"
            "\tsmtp.mailfrom=sender@example.net; dkim=fail (2048-bit key)\n"
            "\treason=\"signature did not verify\" header.d=example.net header.s=sel1\n"
            "\theader.b=abcdEFGH");
}

TEST(AuthresFormat, FoldsNoLineLongerThanTheWidth) {
  ar::Field f{"mx.example.org", {}};
  for (int i = 0; i < 12; ++i)
    f.results.push_back({"dkim", "pass", "", "", {{"header", "d", "domain" + std::to_string(i) + ".example"}}});
  std::string text = "Authentication-Results:" + ar::format(f);
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find("\r\n", start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    EXPECT_LE(line.size(), ar::kFoldWidth) << line;
    if (end == std::string::npos) break;
    start = end + 2;
  }
  auto back = ar::parse(ar::format(f));
  ASSERT_TRUE(back.field) << back.error;
  EXPECT_EQ(back.field->results.size(), 12u);
}

TEST(AuthresEscaping, MessageDataCannotInjectSyntax) {
  // A hostile MAIL FROM or header.from value: quotes, semicolons, CRLF.
  std::string evil = "a\"b;c\r\nX-Injected: yes@example.com";
  ar::Field f{"mx.example.org", {{"spf", "fail", "", "", {{"smtp", "mailfrom", evil}}}}};
  std::string out = ar::format(f, "\n\t");
  EXPECT_EQ(out.find('\r'), std::string::npos);
  for (std::size_t nl = out.find('\n'); nl != std::string::npos; nl = out.find('\n', nl + 1))
    EXPECT_EQ(out[nl + 1], '\t') << "a line break that is not folding: " << out;
  auto back = ar::parse(out);
  ASSERT_TRUE(back.field) << back.error;
  ASSERT_EQ(back.field->results.size(), 1u);
  EXPECT_EQ(back.field->results[0].properties[0].value, "a\"b;cX-Injected: yes@example.com");
  EXPECT_EQ(ar::quote_value("x(y)"), "\"x(y)\"");
  EXPECT_EQ(ar::quote_value(""), "\"\"");
  EXPECT_EQ(ar::quote_pvalue("user@example.com"), "user@example.com");
  EXPECT_EQ(ar::quote_pvalue("@example.com"), "@example.com");
  EXPECT_EQ(ar::quote_pvalue("us er@example.com"), "\"us er@example.com\"");
  EXPECT_EQ(ar::quote_pvalue("user@exa mple"), "\"user@exa mple\"");
  ar::Field c{"h", {{"dkim", "pass", "a) b\\ (c", "", {}}}};
  EXPECT_EQ(ar::format(c), " h; dkim=pass (a\\) b\\\\ \\(c)");
}

TEST(AuthresParse, Rfc8601B4) {
  auto r = ar::parse(" example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
                     "          spf=pass smtp.mailfrom=example.net");
  ASSERT_TRUE(r.field) << r.error;
  EXPECT_EQ(r.field->authserv_id, "example.com");
  ASSERT_EQ(r.field->results.size(), 2u);
  EXPECT_EQ(r.field->results[0].method, "auth");
  EXPECT_EQ(r.field->results[0].properties[0], (ar::Property{"smtp", "auth", "sender@example.net"}));
  EXPECT_EQ(r.field->results[1].method, "spf");
  EXPECT_EQ(r.field->results[1].properties[0].value, "example.net");
}

TEST(AuthresParse, Rfc8601B7CommentHeavy) {
  auto r = ar::parse(" foo.example.net (foobar) 1 (baz);\r\n    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
                     "      policy (A dot can go here) . (like that) expired\r\n"
                     "      (this surprised me) = (as I wasn't expecting it) 1362471462");
  ASSERT_TRUE(r.field) << r.error;
  EXPECT_EQ(r.field->authserv_id, "foo.example.net");
  ASSERT_EQ(r.field->results.size(), 1u);
  EXPECT_EQ(r.field->results[0].method, "dkim");
  EXPECT_EQ(r.field->results[0].result, "fail");
  EXPECT_EQ(r.field->results[0].properties[0], (ar::Property{"policy", "expired", "1362471462"}));
}

TEST(AuthresParse, NoneReasonAndQuotedValues) {
  auto none = ar::parse(" example.org 1; none");
  ASSERT_TRUE(none.field) << none.error;
  EXPECT_TRUE(none.field->results.empty());
  auto r = ar::parse(" \"quoted id\"; dmarc=fail reason=\"p=reject\" header.from=\"a b\"");
  ASSERT_TRUE(r.field) << r.error;
  EXPECT_EQ(r.field->authserv_id, "quoted id");
  EXPECT_EQ(r.field->results[0].reason, "p=reject");
  EXPECT_EQ(r.field->results[0].properties[0].value, "a b");
}

TEST(AuthresParse, RejectsMalformedWithOffsets) {
  struct Case { const char* text; const char* error; };
  for (auto [text, error] : {Case{"", "missing authserv-id"}, Case{" example.org", "expected ';'"},
                             Case{" example.org; spf", "expected '='"}, Case{" example.org; spf=", "expected a result"},
                             Case{" example.org; spf=pass (unclosed", "unterminated comment"},
                             Case{" example.org; spf=pass smtp", "expected '.'"},
                             Case{" example.org; spf=pass smtp.mailfrom=\"open", "unterminated quoted-string"},
                             Case{" example.org; none extra", "text after 'none'"},
                             Case{" \"a\x01" "b\"; none", "missing authserv-id"}}) {
    auto r = ar::parse(text);
    EXPECT_FALSE(r.field) << text;
    EXPECT_NE(r.error.find(error), std::string::npos) << text << " -> " << r.error;
  }
}

TEST(AuthresParse, AuthservIdIsLenientAndCaseInsensitive) {
  EXPECT_EQ(ar::authserv_id(" (comment) MX.Example.ORG; garbage here"), "MX.Example.ORG");
  EXPECT_FALSE(ar::authserv_id("   "));
  EXPECT_TRUE(ar::same_authserv_id("MX.Example.ORG", "mx.example.org"));
  EXPECT_FALSE(ar::same_authserv_id("mx.example.org", "mx.example.org.evil"));
}
