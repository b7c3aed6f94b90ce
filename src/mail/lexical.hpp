// RFC 5322 3.2 lexical tokens, the one place every header field we write
// (Authentication-Results, Received-SPF, failure reports, ARC) and every
// structured value we scan takes them from: atext and dot-atom (3.2.3),
// quoted-string (3.2.4), comment text (3.2.2), MIME tokens (RFC 2045 5.1) and a
// CFWS-aware scanner. ASCII only and locale free: an octet above 0x7F is never
// atext or a token character. Reads untrusted input: values taken from
// messages, SMTP sessions and DNS, to quote or to scan.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "text/ascii.hpp"

namespace domainauth::mail {

// RFC 5322 3.2.3 atext: ASCII letters, digits and !#$%&'*+-/=?^_`{|}~.
[[nodiscard]] constexpr bool is_atext(char c) {
  return text::is_alnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// RFC 6532 3.2: atext extended with UTF-8 (any octet above 0x7F), as addresses
// in internationalized messages are written.
[[nodiscard]] constexpr bool is_utf8_atext(char c) { return is_atext(c) || static_cast<unsigned char>(c) >= 0x80; }

// RFC 5322 3.2.3 dot-atom-text: atext runs separated by single dots.
[[nodiscard]] constexpr bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;  // s.back() is not '.', so i + 1 < size
    } else if (!is_atext(s[i])) {
      return false;
    }
  }
  return true;
}

// RFC 2045 5.1 token character: printable US-ASCII except SPACE and tspecials.
[[nodiscard]] constexpr bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// RFC 2045 5.1 token: one or more token characters.
[[nodiscard]] constexpr bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

// What a writer does with an octet that is not printable ASCII: no header we
// write carries a control, and none can be ended early by a CR or LF.
enum class Unprintable : std::uint8_t {
  question_mark,  // controls and octets above 0x7F become '?' (ASCII-only fields)
  space,          // controls become a space; octets above 0x7F (UTF-8, RFC 6532) stay
  drop,           // TAB becomes a space, other controls are dropped; octets above 0x7F stay
};

// The domain of a mailbox "local@domain" (after its last '@', as an envelope
// address or an identity is split), or "" when it has no '@'.
[[nodiscard]] constexpr std::string_view address_domain(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

// s as an RFC 5322 3.2.4 quoted-string, DQUOTEs included: '"' and '\' become
// quoted-pairs.
[[nodiscard]] std::string quoted_string(std::string_view s, Unprintable unprintable);

// s as the text of an RFC 5322 3.2.2 comment, parentheses not included: '(', ')'
// and '\' become quoted-pairs, so the comment ends where the writer ends it.
[[nodiscard]] std::string comment_text(std::string_view s, Unprintable unprintable);

// Reads a structured header value left to right, skipping folding white space
// and nested comments (RFC 5322 3.2.2) wherever CFWS may stand. Used by the
// Authentication-Results parser (RFC 8601 2.2).
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
  // A MIME value (RFC 2045 5.1): token or quoted-string; nullopt when neither stands here.
  [[nodiscard]] std::optional<std::string> value();
  // An RFC 8601 pvalue: quoted-string, or a run of characters up to white space, '(' or ';'.
  [[nodiscard]] std::optional<std::string> pvalue();
  // 1*DIGIT
  [[nodiscard]] std::string digits();

 private:
  [[nodiscard]] std::optional<std::string> quoted_string();

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace domainauth::mail
