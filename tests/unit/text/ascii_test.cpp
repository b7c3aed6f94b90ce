// Unit tests of the ASCII helpers: white space classes, controls, trimming, and
// octets above 0x7F (never letters or digits).
#include <gtest/gtest.h>

#include "text/ascii.hpp"

namespace domainauth::text {
namespace {

TEST(Ascii, Rfc5234_WspIsSpaceAndTab) {
  EXPECT_TRUE(is_wsp(' '));
  EXPECT_TRUE(is_wsp('\t'));
  EXPECT_FALSE(is_wsp('\r'));
  EXPECT_FALSE(is_wsp('\n'));
  EXPECT_FALSE(is_wsp('\v'));
}

TEST(Ascii, Rfc5322_3_2_2_FwsOctetsAreWspCrLf) {
  for (char c : std::string_view(" \t\r\n")) EXPECT_TRUE(is_fws(c)) << static_cast<int>(c);
  for (char c : std::string_view("\v\fa\0", 4)) EXPECT_FALSE(is_fws(c)) << static_cast<int>(c);
}

TEST(Ascii, Rfc5234_CtlIs00To1FAnd7F) {
  for (int u = 0; u <= 0xff; ++u) {
    EXPECT_EQ(is_control(static_cast<char>(u)), u < 0x20 || u == 0x7f) << u;
  }
}

TEST(Ascii, HighBitOctetsAreNotLettersOrDigits) {
  for (int u = 0x80; u <= 0xff; ++u) {
    const char c = static_cast<char>(u);
    EXPECT_FALSE(is_alnum(c)) << u;
    EXPECT_FALSE(is_hex(c)) << u;
    EXPECT_EQ(to_lower(c), c) << u;
  }
}

TEST(Ascii, TrimWspKeepsLineEndsTrimFwsDoesNot) {
  EXPECT_EQ(trim_wsp(" \ta b\t "), "a b");
  EXPECT_EQ(trim_wsp("\r\n a \r\n"), "\r\n a \r\n");
  EXPECT_EQ(trim_fws("\r\n\t a \r\n b \r\n"), "a \r\n b");
  EXPECT_EQ(trim_fws(" \r\n"), "");
}

}  // namespace
}  // namespace domainauth::text
