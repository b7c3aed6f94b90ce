// The Author Domain: the domain(s) of the RFC5322.From field (RFC 7489 6.6.1,
// RFC 9989 5.3.1), taken by a pure function over the values of every From
// field of a message. Reads untrusted header text (RFC 5322 3.4 address-list,
// with comments, quoted strings, groups and obs-route; RFC 6532 UTF-8).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::dmarc {

inline constexpr std::size_t kMaxFromFieldLength = 16384;  // longer values are malformed
inline constexpr std::size_t kMaxAuthorDomains = 16;       // distinct domains kept per field

enum class AuthorStatus : std::uint8_t {
  single,                // exactly one domain (possibly several addresses in it)
  multiple_domains,      // one From field, addresses in several domains
  no_from_field,         // no From field at all
  multiple_from_fields,  // more than one From field
  no_domain,             // only a group / domain literals: no meaningful domain
  malformed,             // not an RFC 5322 address-list, or an unusable domain
};
[[nodiscard]] std::string_view to_string(AuthorStatus status);

// What RFC 7489 6.6.1 says receivers do with such a message.
enum class FromHandling : std::uint8_t {
  evaluate,  // single domain; several domains: check each, apply the strictest failing policy
  reject,    // no From, several From fields, malformed From ("typically rejected")
  ignore,    // no meaningful domain, e.g. group syntax ("typically ignored")
};
[[nodiscard]] std::string_view to_string(FromHandling handling);

struct Author {
  AuthorStatus status = AuthorStatus::malformed;
  // Lower-case A-labels, distinct, in field order; for multiple_from_fields
  // those of every field that parses.
  std::vector<std::string> domains;
  std::string reason;
  [[nodiscard]] FromHandling handling() const;
};

// from_values: the value of every From field of the message (after "From:"),
// folded or not. IDN U-labels become A-labels (RFC 7489 6.6.1).
[[nodiscard]] Author extract_author(std::span<const std::string> from_values);
[[nodiscard]] Author extract_author(std::string_view from_value);

}  // namespace domainauth::dmarc
