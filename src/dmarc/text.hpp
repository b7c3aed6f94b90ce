// Small text helpers shared by the DMARC parsers (ASCII only, locale free):
// splitting and the domain name checks used
// on identifiers taken from messages and records (untrusted input).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dns/domain_name.hpp"
#include "text/ascii.hpp"

namespace domainauth::dmarc {

// Domain name syntax comes from dns/domain_name.hpp (an LDH or underscore name,
// ASCII only); character classes, case folding and trimming from text/ascii.hpp.
using dns::is_domain_name;
using dns::kMaxDomainLength;
using dns::kMaxLabelLength;
using text::hex_value;
using text::iequals;
using text::is_alpha;
using text::is_digit;
using text::is_hex;
using text::to_lower;
using text::trim_wsp;

// Splits at every separator; always at least one (possibly empty) piece.
[[nodiscard]] std::vector<std::string_view> split(std::string_view s, char separator);

// Lower case, without a trailing dot.
[[nodiscard]] std::string normalize_domain(std::string_view name);
// Number of labels of a domain name (normalized form).
[[nodiscard]] std::size_t label_count(std::string_view name);
// The name without its left-most label ("" for a single label).
[[nodiscard]] std::string_view parent_domain(std::string_view name);

}  // namespace domainauth::dmarc
