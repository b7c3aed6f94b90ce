// Checks on configuration text before TOML parsing (see toml_precheck.hpp):
// UTF-8, then the nesting bound, which follows the TOML 1.0 lexical forms far
// enough to skip strings (basic, literal and their multi-line forms, with
// escapes) and comments.
#include "config/toml_precheck.hpp"

#include "text/utf8.hpp"

namespace domainauth::config {

namespace {

std::optional<std::string> utf8_error(std::string_view text) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
    if (static_cast<unsigned char>(text[i]) < 0x80) continue;
    const std::size_t length = text::utf8_sequence(text, i);
    if (length == 0) return std::to_string(line) + ": not UTF-8 (a TOML file must be UTF-8)";
    i += length - 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> toml_text_error(std::string_view text) {
  if (auto error = utf8_error(text)) return error;
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
        if (c == '"' && text[i] == '\\') ++i;  // an escape: the next character is not the end
        if (i < text.size() && text[i] == '\n') ++line;
      }
      // A multi-line string may end in one or two quotes of its own before the
      // closing three (TOML 1.0): """a"""" is the string a".
      for (int extra = 0; multi && extra < 2 && i + 3 < text.size() && text[i + 3] == c; ++extra) ++i;
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
