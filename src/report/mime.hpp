// The RFC 5322 / RFC 2045-2046 pieces report messages are made of: the Date
// field value (RFC 5322 3.3), a unique Message-ID (3.6.4), base64 body lines
// (RFC 2045 6.8: at most 76 characters) and a multipart boundary (RFC 2046
// 5.1.1). Shared by aggregate (RFC 9990 3.5) and failure reports. Reads no
// untrusted input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace domainauth::report {

// RFC 5322 3.3 date-time in UTC: "Sun, 29 Nov 2026 20:19:35 +0000".
[[nodiscard]] std::string date_value(std::int64_t unix_time);

// "<time.random@host>": unique per call (RFC 5322 3.6.4 msg-id).
[[nodiscard]] std::string message_id(std::string_view host);

// data in base64, in lines of at most 76 characters, each ending in CRLF.
inline constexpr std::size_t kMaxBase64Line = 76;
[[nodiscard]] std::string base64_lines(std::string_view data);

// A random multipart boundary. It contains "=_", which base64 text and the
// plain-ASCII text parts of reports never do (RFC 2046 5.1.1).
[[nodiscard]] std::string boundary();

}  // namespace domainauth::report
