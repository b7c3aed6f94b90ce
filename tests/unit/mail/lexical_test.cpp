// Unit tests of the RFC 5322 lexical module: atext, dot-atom, MIME tokens,
// quoted-string and comment escaping under each Unprintable policy, the CFWS
// scanner, and high-bit octets (never atext, whatever the locale).
#include <gtest/gtest.h>

#include <clocale>
#include <string>

#include "mail/lexical.hpp"

namespace domainauth::mail {
namespace {

TEST(Lexical, Rfc5322_3_2_3_AtextIsLettersDigitsAndTheSpecialList) {
  for (char c : std::string_view("azAZ09!#$%&'*+-/=?^_`{|}~")) EXPECT_TRUE(is_atext(c)) << c;
  for (char c : std::string_view(" .()<>[]:;@\\,\"\t\r\n")) EXPECT_FALSE(is_atext(c)) << c;
  EXPECT_FALSE(is_atext('\0'));
  EXPECT_FALSE(is_atext('\x7f'));
}

TEST(Lexical, HighBitOctetsAreNeverAsciiAtextOrTokenCharacters) {
  for (int u = 0x80; u <= 0xff; ++u) {
    const char c = static_cast<char>(u);
    EXPECT_FALSE(is_atext(c)) << u;
    EXPECT_FALSE(is_token_char(c)) << u;
    EXPECT_TRUE(is_utf8_atext(c)) << u;  // RFC 6532 3.2
  }
  EXPECT_FALSE(is_dot_atom("caf\xc3\xa9"));
  EXPECT_FALSE(is_token("caf\xc3\xa9"));
}

// std::isalnum says yes to 0xE9 in a Latin-1 locale; the module must not care.
TEST(Lexical, ClassesDoNotDependOnTheLocale) {
  const char* const previous = std::setlocale(LC_CTYPE, nullptr);
  const std::string saved = previous ? previous : "C";
  for (const char* name : {"C.UTF-8", "en_US.ISO-8859-1", "de_DE.ISO-8859-1", "C"}) {
    if (std::setlocale(LC_CTYPE, name) == nullptr) continue;
    EXPECT_FALSE(is_atext('\xe9')) << name;
    EXPECT_FALSE(is_dot_atom("\xe9t\xe9")) << name;
    EXPECT_EQ(quoted_string("\xe9", Unprintable::question_mark), "\"?\"") << name;
  }
  std::setlocale(LC_CTYPE, saved.c_str());
}

TEST(Lexical, Rfc5322_3_2_3_DotAtomIsAtextRunsJoinedBySingleDots) {
  struct Case {
    std::string_view text;
    bool want;
  };
  for (const auto& [text, want] : {
           Case{"a", true},
           Case{"user.name+tag", true},
           Case{"a.b.c", true},
           Case{"", false},
           Case{".a", false},
           Case{"a.", false},
           Case{"a..b", false},
           Case{".", false},
           Case{"a b", false},
           Case{"a@b", false},
           Case{"\"a\"", false},
       }) {
    EXPECT_EQ(is_dot_atom(text), want) << "text \"" << text << "\"";
  }
}

TEST(Lexical, Rfc2045_5_1_TokenExcludesSpaceControlsAndTspecials) {
  EXPECT_TRUE(is_token("example.com"));
  EXPECT_TRUE(is_token("pass"));
  EXPECT_TRUE(is_token("a-b_c.d+e"));
  EXPECT_FALSE(is_token(""));
  for (char c : std::string_view("()<>@,;:\\\"/[]?= \t\x7f")) {
    EXPECT_FALSE(is_token_char(c)) << static_cast<int>(c);
    EXPECT_FALSE(is_token(std::string("a") + c)) << static_cast<int>(c);
  }
}

TEST(Lexical, Rfc5322_3_2_4_QuotedStringEscapesDquoteAndBackslash) {
  for (auto policy : {Unprintable::question_mark, Unprintable::space, Unprintable::drop}) {
    EXPECT_EQ(quoted_string("", policy), "\"\"");
    EXPECT_EQ(quoted_string("a b", policy), "\"a b\"");
    EXPECT_EQ(quoted_string(R"(say "hi" \o/)", policy), R"("say \"hi\" \\o/")");
    EXPECT_EQ(quoted_string("(x)", policy), "\"(x)\"");  // parentheses need no escape here
  }
}

TEST(Lexical, QuotedStringUnprintableOctetsByPolicy) {
  const std::string_view raw("a\tb\r\nc\0d\x7f" "e\xc3\xa9", 12);
  EXPECT_EQ(quoted_string(raw, Unprintable::question_mark), "\"a?b??c?d?e??\"");
  EXPECT_EQ(quoted_string(raw, Unprintable::space), "\"a b  c d e\xc3\xa9\"");
  EXPECT_EQ(quoted_string(raw, Unprintable::drop), "\"a bcde\xc3\xa9\"");
}

TEST(Lexical, Rfc5322_3_2_2_CommentTextEscapesParenthesesAndBackslash) {
  for (auto policy : {Unprintable::question_mark, Unprintable::space, Unprintable::drop}) {
    EXPECT_EQ(comment_text("plain text", policy), "plain text");
    EXPECT_EQ(comment_text(R"(a (nested) c:\d)", policy), R"(a \(nested\) c:\\d)");
    EXPECT_EQ(comment_text(")", policy), "\\)");
    EXPECT_EQ(comment_text("\"q\"", policy), "\"q\"");  // DQUOTE is ctext
  }
}

TEST(Lexical, CommentTextCannotEndTheFieldOrTheComment) {
  const std::string_view raw("x)\r\nBcc: y\0\xff", 12);
  EXPECT_EQ(comment_text(raw, Unprintable::question_mark), "x\\)??Bcc: y??");
  EXPECT_EQ(comment_text(raw, Unprintable::space), "x\\)  Bcc: y \xff");
  EXPECT_EQ(comment_text(raw, Unprintable::drop), "x\\)Bcc: y\xff");
}

TEST(Lexical, Rfc5322_3_2_2_ScannerSkipsNestedCommentsAndFolds) {
  Scanner s(" (a (b) \\) c)\r\n\t token;");
  ASSERT_TRUE(s.skip_cfws());
  EXPECT_EQ(s.value(), "token");
  EXPECT_TRUE(s.take(';'));
  EXPECT_TRUE(s.at_end());
  Scanner open("(never closed");
  EXPECT_FALSE(open.skip_cfws());
}

TEST(Lexical, Rfc5322_3_2_4_ScannerReadsQuotedStringsBack) {
  Scanner s(R"("say \"hi\" \\o/" rest)");
  EXPECT_EQ(s.value(), R"(say "hi" \o/)");
  Scanner control(std::string_view("\"a\0b\"", 5));
  EXPECT_EQ(control.value(), std::nullopt);
  Scanner unterminated("\"abc");
  EXPECT_EQ(unterminated.value(), std::nullopt);
}

TEST(Lexical, ScannerKeywordDigitsAndPvalue) {
  Scanner s("dkim_2/1 header.d=user@example.com(c)");
  EXPECT_EQ(s.keyword(), "dkim_2");
  EXPECT_TRUE(s.take('/'));
  EXPECT_EQ(s.digits(), "1");
  ASSERT_TRUE(s.skip_cfws());
  EXPECT_EQ(s.keyword(), "header");
  EXPECT_TRUE(s.take('.'));
  EXPECT_EQ(s.keyword(), "d");
  EXPECT_TRUE(s.take('='));
  EXPECT_EQ(s.pvalue(), "user@example.com");
  EXPECT_EQ(s.peek(), '(');
  Scanner high("\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(high.keyword(), "");  // letters are ASCII letters only
  EXPECT_EQ(high.value(), std::nullopt);
}

}  // namespace
}  // namespace domainauth::mail
