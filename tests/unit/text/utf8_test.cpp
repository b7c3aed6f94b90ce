// text::is_utf8 / utf8_sequence against the rules of RFC 3629 section 4 (the
// UTF8-octets grammar): each ill-formed class is named after the rule it breaks.
#include <gtest/gtest.h>

#include <string>

#include "text/utf8.hpp"

namespace domainauth::text {
namespace {

struct Case {
  const char* name;
  std::string bytes;
  bool valid;
};

TEST(Utf8, Rfc3629Grammar) {
  const Case cases[] = {
      {"ascii", "plain text\t", true},
      {"empty", "", true},
      {"two octets", "\xc3\xa9", true},
      {"three octets", "\xe6\x97\xa5\xe6\x9c\xac", true},
      {"four octets", "\xf0\x9f\x93\xa7", true},
      {"highest code point U+10FFFF", "\xf4\x8f\xbf\xbf", true},
      {"lone continuation byte", "\x80", false},
      {"C0 overlong lead", "\xc0\xaf", false},
      {"C1 overlong lead", "\xc1\xbf", false},
      {"E0 overlong (second byte below A0)", "\xe0\x80\xaf", false},
      {"surrogate U+D800 (ED A0..)", "\xed\xa0\x80", false},
      {"F0 overlong (second byte below 90)", "\xf0\x80\x80\xaf", false},
      {"above U+10FFFF (F4 90..)", "\xf4\x90\x80\x80", false},
      {"F5 lead", "\xf5\x80\x80\x80", false},
      {"truncated at the end", "ok\xe6\x97", false},
      {"continuation missing mid-text", "\xe6\x41\x41", false},
      {"FF", "\xff", false},
  };
  for (const auto& c : cases) EXPECT_EQ(is_utf8(c.bytes), c.valid) << c.name;
}

TEST(Utf8, SequenceLengthOfEachForm) {
  const std::string text = "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x93\xa7";
  EXPECT_EQ(utf8_sequence(text, 0), 1u);
  EXPECT_EQ(utf8_sequence(text, 1), 2u);
  EXPECT_EQ(utf8_sequence(text, 3), 3u);
  EXPECT_EQ(utf8_sequence(text, 6), 4u);
  EXPECT_EQ(utf8_sequence(text, 2), 0u);  // a continuation byte starts nothing
}

}  // namespace
}  // namespace domainauth::text
