// MTA-STS (RFC 8461) for `domainauth check`: the _mta-sts TXT record (3.1),
// the policy file (3.2) and the MX host patterns it lists (4.1). Pure parsers;
// read untrusted input: a DNS TXT record and a file fetched over HTTPS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::setup {

// RFC 8461 3.1: "v=STSv1; id=<1 to 32 letters or digits>;", extension fields allowed.
struct MtaStsRecord {
  std::string id;
  std::string error;  // empty when the record is valid
};
[[nodiscard]] bool is_mta_sts_record(std::string_view txt);  // starts with "v=STSv1"
[[nodiscard]] MtaStsRecord parse_mta_sts_record(std::string_view txt);

// RFC 8461 3.2: max_age is at most 31557600 seconds (a year); a day is the
// least this check calls sane (shorter policies lapse between a sender's fetches).
inline constexpr std::uint64_t kMtaStsMaxAge = 31557600;
inline constexpr std::uint64_t kMtaStsMinSaneAge = 86400;
// The largest policy file read: RFC 8461 3.3 asks senders to accept at least 64 KiB.
inline constexpr std::size_t kMaxMtaStsPolicyOctets = 64 * 1024;
inline constexpr std::size_t kMaxMtaStsPatterns = 100;
inline constexpr std::size_t kMaxMtaStsPolicyErrors = 10;  // then reading stops (junk) and one more says so

enum class MtaStsMode : std::uint8_t { enforce, testing, none };
[[nodiscard]] std::string_view to_string(MtaStsMode mode);

struct MtaStsPolicy {
  std::optional<MtaStsMode> mode;
  std::optional<std::uint64_t> max_age;
  std::vector<std::string> mx;        // patterns, lower case
  std::vector<std::string> errors;    // each makes the policy invalid (RFC 8461 3.2: senders ignore it)
};
// Lines "key: value" ending in CRLF (a bare LF is accepted, as senders do);
// version must be STSv1, mode enforce / testing / none, max_age digits up to
// kMtaStsMaxAge, mx one or more patterns unless mode is none. Unknown keys are
// ignored (3.2: extensions).
[[nodiscard]] MtaStsPolicy parse_mta_sts_policy(std::string_view text);

// RFC 8461 4.1: host matches pattern, literally or, for "*.example.com", with
// exactly one label in place of the "*". Case-insensitive; host without trailing dot.
[[nodiscard]] bool mta_sts_mx_matches(std::string_view pattern, std::string_view host);

}  // namespace domainauth::setup
