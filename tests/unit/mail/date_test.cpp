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

}  // namespace
}  // namespace domainauth::mail
