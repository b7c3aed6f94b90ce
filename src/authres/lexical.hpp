// Lexical pieces of RFC 8601 / RFC 2045 / RFC 5322 shared by the writer and the
// parser of Authentication-Results: token characters and a CFWS-aware scanner.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace domainauth::authres {

// RFC 2045 5.1 token: printable US-ASCII except SPACE and tspecials.
[[nodiscard]] inline bool is_token_char(unsigned char c) {
  return c > 0x20 && c < 0x7f && std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) == std::string_view::npos;
}

// Reads a header value left to right, skipping folding white space and nested
// comments (RFC 5322 3.2.2) wherever CFWS may stand.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // Skips white space and comments; false on an unterminated comment.
  [[nodiscard]] bool skip_cfws();
  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek() const { return at_end() ? '\0' : text_[pos_]; }
  [[nodiscard]] bool take(char c);
  [[nodiscard]] std::size_t position() const { return pos_; }

  // Letters, digits, '-' and '_' (RFC 5321 Keyword, plus '_' seen in the wild).
  [[nodiscard]] std::string keyword();
  // A MIME value: token or quoted-string; nullopt when neither stands here.
  [[nodiscard]] std::optional<std::string> value();
  // A pvalue: quoted-string, or a run of characters up to white space, '(' or ';'.
  [[nodiscard]] std::optional<std::string> pvalue();
  // 1*DIGIT
  [[nodiscard]] std::string digits();

 private:
  [[nodiscard]] std::optional<std::string> quoted_string();

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace domainauth::authres
