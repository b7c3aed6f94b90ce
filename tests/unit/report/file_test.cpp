// Report periods (UTC days), the RFC 9990 3.1.3 file name and gzip output.
#include "report/file.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

namespace domainauth::report {
namespace {

TEST(ParseDay, UtcMidnightOfValidDatesOnly) {
  struct Case {
    const char* text;
    std::optional<std::int64_t> begin;
  } cases[] = {{"1970-01-01", 0},           {"2026-09-21", 1789948800},
               {"2024-02-29", 1709164800},  {"2023-02-29", std::nullopt}, {"2026-13-01", std::nullopt},
               {"2026-1-01", std::nullopt}, {"2026-01-01x", std::nullopt}, {"+026-01-01", std::nullopt}};
  for (const auto& c : cases) EXPECT_EQ(parse_day(c.text), c.begin) << c.text;
}

TEST(FormatDay, IsTheUtcDayParseDayReads) {
  for (const char* day : {"1970-01-01", "2024-02-29", "2026-09-21", "2000-12-31"}) {
    const auto begin = parse_day(day);
    ASSERT_TRUE(begin) << day;
    EXPECT_EQ(format_day(*begin), day);
    EXPECT_EQ(format_day(*begin + 86399), day);  // the day's last second
  }
  EXPECT_EQ(format_day(-1), "1969-12-31");
}

TEST(FileName, IsReceiverPolicyDomainBeginEnd) {
  EXPECT_EQ(file_name("mx.example.net", "example.com", 1790035200, 1790121599),
            "mx.example.net!example.com!1790035200!1790121599.xml.gz");
}

TEST(Gzip, RoundTripsThroughZlib) {
  const std::string text(5000, 'x');
  const auto packed = gzip(text);
  ASSERT_GE(packed.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);  // RFC 1952 ID1 ID2
  EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
  z_stream s{};
  ASSERT_EQ(inflateInit2(&s, 15 + 16), Z_OK);
  std::string out(6000, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  s.avail_in = static_cast<uInt>(packed.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  inflateEnd(&s);
  EXPECT_EQ(out, text);
}

}  // namespace
}  // namespace domainauth::report
