// A bound on how deeply arrays and inline tables nest in a configuration file,
// checked before the TOML parser sees it: toml11 parses nested values by
// recursion, so "a = [[[[..." thousands deep would overflow the stack. Reads
// untrusted-ish input: the configuration file's text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace domainauth::config {

inline constexpr std::size_t kMaxTomlNesting = 32;  // far beyond any real configuration

// "LINE: ..." for the first bracket past the limit; nothing when within it.
// Brackets inside strings and comments do not count.
[[nodiscard]] std::optional<std::string> toml_nesting_error(std::string_view text);

}  // namespace domainauth::config
