// Checks on a configuration file's text made before the TOML parser (toml11
// 3.7) sees it, for two of its faults: it parses nested values by recursion, so
// "a = [[[[..." thousands deep would overflow the stack; and it reads past its
// buffer when it reports invalid UTF-8 inside a string. So nesting is bounded,
// and the text must be UTF-8 (as TOML 1.0 requires anyway). Reads
// untrusted-ish input: the configuration file's text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace domainauth::config {

inline constexpr std::size_t kMaxTomlNesting = 32;  // far beyond any real configuration

// "LINE: ..." for the first octet that is not UTF-8, else for the first bracket
// past the nesting limit; nothing when the text passes both. Brackets inside
// strings and comments do not count.
[[nodiscard]] std::optional<std::string> toml_text_error(std::string_view text);

}  // namespace domainauth::config
