// Small text helpers shared by the DMARC parsers (ASCII only, locale free):
// splitting and the domain name checks used
// on identifiers taken from messages and records (untrusted input).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "text/ascii.hpp"

namespace domainauth::dmarc {

inline constexpr std::size_t kMaxDomainLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

// Character classes, case folding and trimming come from text/ascii.hpp.
using text::hex_value;
using text::iequals;
using text::is_alpha;
using text::is_digit;
using text::is_hex;
using text::to_lower;
using text::trim_wsp;

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
