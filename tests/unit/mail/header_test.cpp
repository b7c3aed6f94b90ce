// Unit tests of RFC 5322 header fields and the message splitter.
#include <gtest/gtest.h>

#include "mail/header.hpp"

namespace domainauth::mail {
namespace {

MessageSplitter split_all(std::string_view raw, std::string* body, std::size_t chunk = 0) {
  MessageSplitter s;
  if (chunk == 0) chunk = raw.size() + 1;
  for (std::size_t i = 0; i < raw.size(); i += chunk) body->append(s.feed(raw.substr(i, chunk)));
  s.finish();
  return s;
}

TEST(Header, Rfc5322_2_2_3_FoldedFieldKeptWithCrlf) {
  std::string body;
  auto s = split_all("Subject: a\n b\nFrom: x@y\n\nbody\n", &body);
  ASSERT_TRUE(s.headers_complete());
  ASSERT_EQ(s.headers().size(), 2u);
  EXPECT_EQ(s.headers()[0].raw, "Subject: a\r\n b");
  EXPECT_EQ(s.headers()[0].name, "Subject");
  EXPECT_EQ(s.headers()[0].value(), " a\r\n b");
  EXPECT_EQ(unfold(s.headers()[0].value()), "a b");
  EXPECT_EQ(body, "body\n");
}

TEST(Header, Rfc5322_4_5_8_WhiteSpaceBeforeColonTolerated) {
  auto f = parse_header_field("B : Y");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->name, "B");
  EXPECT_TRUE(f->is("b"));
}

TEST(Header, Rfc5322_3_6_8_BadFieldNameRefused) {
  EXPECT_FALSE(parse_header_field("no colon here"));
  EXPECT_FALSE(parse_header_field(": empty name"));
  EXPECT_FALSE(parse_header_field("sp ace: x"));
  std::string body;
  auto s = split_all("From: a\nthis is not a header\n\nbody", &body);
  EXPECT_FALSE(s.error().empty());
  EXPECT_TRUE(body.empty());
}

TEST(Header, SplitIndependentOfChunking) {
  const std::string raw = "From Sender Mon\r\nFrom: a@b\r\nTo: c@d,\r\n\te@f\r\nX: \xe2\x82\xac\r\n\r\nline1\r\n\r\n";
  std::string want_body;
  auto want = split_all(raw, &want_body);
  ASSERT_EQ(want.headers().size(), 3u);
  EXPECT_EQ(want.headers()[2].raw, "X: \xe2\x82\xac");
  for (std::size_t chunk = 1; chunk < raw.size(); ++chunk) {
    std::string body;
    auto got = split_all(raw, &body, chunk);
    ASSERT_EQ(got.headers().size(), 3u) << chunk;
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(got.headers()[i].raw, want.headers()[i].raw) << chunk;
    EXPECT_EQ(body, want_body) << chunk;
  }
}

TEST(Header, NoBodyEndsAtEndOfInput) {
  std::string body;
  auto s = split_all("From: a\r\nSubject: b", &body);
  ASSERT_TRUE(s.headers_complete());
  ASSERT_EQ(s.headers().size(), 2u);
  EXPECT_EQ(s.headers()[1].raw, "Subject: b");
  EXPECT_TRUE(body.empty());
}

TEST(Header, LimitOnHeaderBytes) {
  std::string raw = "X: " + std::string(kMaxHeaderBytes, 'a') + "\r\n\r\n";
  std::string body;
  auto s = split_all(raw, &body, 4096);
  EXPECT_NE(s.error().find("larger than"), std::string::npos);
}

TEST(Header, LeadingContinuationRefused) {
  std::string body;
  auto s = split_all(" folded: x\r\n\r\n", &body);
  EXPECT_FALSE(s.error().empty());
}

}  // namespace
}  // namespace domainauth::mail
