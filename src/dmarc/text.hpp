// Small text helpers shared by the DMARC parsers (ASCII only, locale free):
// character classes, case folding, splitting, and the domain name checks used
// on identifiers taken from messages and records (untrusted input).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace domainauth::dmarc {

inline constexpr std::size_t kMaxDomainLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

[[nodiscard]] constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
[[nodiscard]] constexpr bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
[[nodiscard]] constexpr int hex_value(char c) {
  return is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
}
[[nodiscard]] constexpr char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
[[nodiscard]] std::string to_lower(std::string_view s);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

// Strips spaces and horizontal tabs (RFC 5234 WSP) at both ends.
[[nodiscard]] std::string_view trim_wsp(std::string_view s);
// Splits at every separator; always at least one (possibly empty) piece.
[[nodiscard]] std::vector<std::string_view> split(std::string_view s, char separator);

// An LDH (or underscore) domain name of at least one label, each label 1-63
// characters, at most 253 in all; one trailing dot allowed. ASCII only.
[[nodiscard]] bool is_domain_name(std::string_view name);
// Lower case, without a trailing dot.
[[nodiscard]] std::string normalize_domain(std::string_view name);
// Number of labels of a domain name (normalized form).
[[nodiscard]] std::size_t label_count(std::string_view name);
// The name without its left-most label ("" for a single label).
[[nodiscard]] std::string_view parent_domain(std::string_view name);

}  // namespace domainauth::dmarc
