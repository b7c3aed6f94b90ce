// Reading an RFC 5322 3.3 date-time ("Tue, 8 Dec 2026 00:50:09 +0000"), with
// the obsolete forms of 4.3 real mail still carries: no day of week, no
// seconds, two- and three-digit years, named zones (UT, GMT, EST...), comments
// and extra white space. Used for the Arrival-Date of received failure reports
// (RFC 5965 3.1); and the RFC 3339 form of TLS reports. Reads untrusted
// input: a header field value, a JSON string.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace domainauth::mail {

// Unix seconds (UTC) of a proleptic Gregorian date and time, years 1970-9999;
// nothing when a field is out of range (a leap second, 60, is allowed and runs
// into the next minute).
[[nodiscard]] std::optional<std::int64_t> to_unix(int year, int mon, int day, int hour, int minute, int second);

// Unix seconds (UTC); nothing when the text is not a date-time this reads.
[[nodiscard]] std::optional<std::int64_t> parse_date(std::string_view value);

// RFC 3339 5.6 date-time ("2026-12-07T00:00:00Z", "...T23:59:59.5+01:00"; a
// fraction is dropped), as RFC 8460 TLS reports write their date-range: Unix
// seconds (UTC), nothing when it is not one.
[[nodiscard]] std::optional<std::int64_t> parse_rfc3339(std::string_view value);

}  // namespace domainauth::mail
