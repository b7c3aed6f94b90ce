// RFC 5322 Date and Message-ID, RFC 2045 base64 lines, RFC 2046 boundaries.
#include "report/mime.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "dkim/crypto.hpp"

namespace domainauth::report {
namespace {

TEST(DateValue, Rfc5322DateTimeInUtc) {
  struct Case {
    std::int64_t time;
    const char* text;
  } cases[] = {{0, "Thu, 01 Jan 1970 00:00:00 +0000"},
               {1795983600, "Sun, 29 Nov 2026 20:20:00 +0000"},
               {1709164800 + 3599, "Thu, 29 Feb 2024 00:59:59 +0000"}};
  for (const auto& c : cases) EXPECT_EQ(date_value(c.time), c.text) << c.time;
}

TEST(MessageId, Rfc5322MsgIdUniquePerCall) {
  const std::regex shape(R"(<[0-9]+\.[0-9a-f]{16}@mx\.example\.net>)");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto id = message_id("mx.example.net");
    EXPECT_TRUE(std::regex_match(id, shape)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Base64Lines, Rfc2045LinesOfAtMost76CharactersRoundTrip) {
  for (const std::size_t size : {0u, 1u, 56u, 57u, 58u, 1000u}) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i * 7);
    const auto text = base64_lines(data);
    std::string joined;
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = text.find("\r\n", start);
      ASSERT_NE(end, std::string::npos);
      EXPECT_LE(end - start, kMaxBase64Line);
      EXPECT_GT(end - start, 0u);
      joined.append(text, start, end - start);
      start = end + 2;
    }
    EXPECT_EQ(dkim::base64_decode(joined), data) << size;
  }
  EXPECT_EQ(base64_lines(std::string(57, 'a')).size(), 76u + 2u);  // 57 bytes fill one line exactly
}

TEST(Boundary, Rfc2046CannotOccurInBase64AndIsRandom) {
  const auto a = boundary();
  const auto b = boundary();
  EXPECT_NE(a, b);
  EXPECT_NE(a.find("=_"), std::string::npos);
  EXPECT_LE(a.size(), 70u);  // RFC 2046 5.1.1: 1 to 70 characters
}

}  // namespace
}  // namespace domainauth::report
