// Reporting periods and the report file: the UTC day of a --period argument
// (and its text),
// the RFC 9990 3.1.3 / RFC 7489 7.2.1.1 file name
// (receiver "!" policy-domain "!" begin "!" end ".xml.gz") and its gzip body
// (RFC 1952, zlib). Reads command-line dates (administrator input).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace domainauth::report {

// "2026-11-28" -> the Unix time of its 00:00:00 UTC; nullopt when not a valid date.
[[nodiscard]] std::optional<std::int64_t> parse_day(std::string_view text);

// The UTC day a Unix time falls in, "2026-11-28" (parse_day's inverse).
[[nodiscard]] std::string format_day(std::int64_t time);

// begin and end as in the report's date_range (end: the last second covered).
[[nodiscard]] std::string file_name(std::string_view receiver, std::string_view policy_domain, std::int64_t begin,
                                    std::int64_t end);

// The gzip file (RFC 1952) of data.
[[nodiscard]] std::string gzip(std::string_view data);

}  // namespace domainauth::report
