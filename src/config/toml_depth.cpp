// The nesting bound of configuration files (see toml_depth.hpp). Follows the
// TOML 1.0 lexical forms far enough to skip strings (basic, literal and their
// multi-line forms, with escapes) and comments.
#include "config/toml_depth.hpp"

namespace domainauth::config {

std::optional<std::string> toml_nesting_error(std::string_view text) {
  std::size_t depth = 0, line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      const bool multi = text.substr(i, 3) == std::string_view(c == '"' ? "\"\"\"" : "'''");
      const std::string_view close = multi ? text.substr(i, 3) : text.substr(i, 1);
      for (i += close.size(); i < text.size() && text.substr(i, close.size()) != close; ++i) {
        if (text[i] == '\n') ++line;
        if (c == '"' && text[i] == '\\') ++i;  // an escape: the next character is not the end
      }
      i += close.size() - 1;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxTomlNesting) {
        return std::to_string(line) + ": arrays or inline tables nested more than " +
               std::to_string(kMaxTomlNesting) + " deep";
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

}  // namespace domainauth::config
