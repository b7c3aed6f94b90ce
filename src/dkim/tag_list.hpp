// The DKIM tag=value list (RFC 6376 3.2), shared by DKIM-Signature fields, key
// records (and ARC). Pure parser; reads untrusted input: header field values
// and DNS TXT records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::dkim {

inline constexpr std::size_t kMaxTags = 64;

struct Tag {
  std::string name;
  std::string value;  // outer FWS removed; inner FWS (folds included) kept
};

struct TagList {
  std::vector<Tag> tags;  // in the order written
  std::string error;      // empty when the list is well-formed

  [[nodiscard]] bool ok() const { return error.empty(); }
  // The value of a tag, or nothing when absent.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const;
};

// RFC 6376 3.2: tag names are case-sensitive, a tag may appear once, values are
// VALCHARs separated by FWS, a final ";" is allowed.
[[nodiscard]] TagList parse_tag_list(std::string_view text);

// The value with every FWS character (SP, HTAB, CR, LF) removed: base64 values.
[[nodiscard]] std::string strip_fws(std::string_view value);

// A tag value of 1 to max_digits decimal digits (t=, x=, l=, ARC i=), or nothing.
[[nodiscard]] std::optional<std::uint64_t> parse_decimal(std::string_view text, std::size_t max_digits);

// Splits a colon-separated list (h=, q=, s=, t=, key h=), trimming FWS around items.
[[nodiscard]] std::vector<std::string> split_list(std::string_view value, char separator = ':');

}  // namespace domainauth::dkim
