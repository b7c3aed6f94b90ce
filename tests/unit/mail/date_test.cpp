// RFC 5322 3.3 / 4.3 date-time reading (mail/date.hpp): the current form, the
// obsolete forms real mail carries, and what is refused.
#include <gtest/gtest.h>

#include "mail/date.hpp"

namespace domainauth::mail {
namespace {

TEST(Date, Rfc5322Section33Form) {
  EXPECT_EQ(parse_date("Tue, 8 Dec 2026 00:50:09 +0000"), 1796691009);
  EXPECT_EQ(parse_date("Mon, 07 Dec 2026 08:59:01 -0800"), 1796662741) << "the zone is subtracted";
  EXPECT_EQ(parse_date("8 Dec 2026 00:50 +0000"), 1796691000) << "no day of week, no seconds";
}

TEST(Date, Rfc5322Section43ObsoleteForms) {
  EXPECT_EQ(parse_date("8 Oct 2011 20:15:58 +0000 (GMT)"), 1318104958) << "a comment";
  EXPECT_EQ(parse_date("Sat, 8 Oct 2011 15:15:58 CDT"), 1318104958) << "a named zone";
  EXPECT_EQ(parse_date("Sat,  8  oct 11 20:15:58 GMT"), 1318104958) << "two-digit year, lower case, extra spaces";
  EXPECT_EQ(parse_date("1 Jan 070 00:00:00 UT"), 0) << "three-digit year adds 1900";
}

TEST(Date, RefusesWhatIsNoDate) {
  for (const char* bad : {"", "yesterday", "32 Jan 2026 00:00:00 +0000", "29 Feb 2026 00:00:00 +0000",
                          "1 Foo 2026 00:00:00 +0000", "1 Jan 2026 24:00:00 +0000", "1 Jan 2026 00:00:00 +2460",
                          "1 Jan 2026 00:00:00 A", "1 Jan 1969 00:00:00 +0000", "1 Jan 2026 0:0:0 +0000",
                          "1 Jan 2026 00:00:00 +0000 extra words", "1 Jan 99999 00:00:00 +0000"}) {
    EXPECT_EQ(parse_date(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_date("29 Feb 2024 00:00:00 +0000"), 1709164800) << "a leap day";
}

TEST(Date, Rfc3339Section56) {
  EXPECT_EQ(parse_rfc3339("2016-04-01T00:00:00Z"), 1459468800);
  EXPECT_EQ(parse_rfc3339("2016-04-01T23:59:59z"), 1459555199);
  EXPECT_EQ(parse_rfc3339("2016-04-01T01:00:00.999+01:00"), 1459468800) << "offset applied, fraction dropped";
  EXPECT_EQ(parse_rfc3339("2016-03-31T19:00:00-05:00"), 1459468800);
  for (const char* bad : {"", "2016-04-01", "2016-04-01T00:00:00", "2016-04-01T00:00:00+0100", "2016-13-01T00:00:00Z",
                          "2016-04-31T00:00:00Z", "2016-04-01T00:00:00.Z", "2016-04-01T24:00:00Z",
                          "20160401T000000Z", "2016-04-01T00:00:00Zjunk", "-016-04-01T00:00:00Z"}) {
    EXPECT_EQ(parse_rfc3339(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace domainauth::mail
