// RFC 5322 3.2 quoting and scanning (see lexical.hpp). Reads untrusted input:
// the values it quotes and the header values it scans.
#include "mail/lexical.hpp"

namespace domainauth::mail {
namespace {

// Appends c as the writer's policy has it; specials become quoted-pairs.
void append(std::string& out, char c, std::string_view specials, Unprintable unprintable) {
  const bool control = text::is_control(c);
  if (unprintable == Unprintable::question_mark && (control || static_cast<unsigned char>(c) >= 0x80)) {
    c = '?';
  } else if (control) {
    if (unprintable == Unprintable::drop && c != '\t') return;  // CR, LF, NUL... never reach the field
    c = ' ';
  }
  if (specials.find(c) != std::string_view::npos) out += '\\';
  out += c;
}

}  // namespace

std::string quoted_string(std::string_view s, Unprintable unprintable) {
  std::string out = "\"";
  for (char c : s) append(out, c, "\"\\", unprintable);
  return out + "\"";
}

std::string comment_text(std::string_view s, Unprintable unprintable) {
  std::string out;
  for (char c : s) append(out, c, "()\\", unprintable);
  return out;
}

bool Scanner::skip_cfws() {
  while (!at_end()) {
    const char c = text_[pos_];
    if (text::is_fws(c)) {
      ++pos_;
    } else if (c == '(') {
      int depth = 0;
      while (!at_end()) {
        const char d = text_[pos_++];
        if (d == '\\') {
          if (at_end()) return false;
          ++pos_;
        } else if (d == '(') {
          ++depth;
        } else if (d == ')' && --depth == 0) {
          break;
        }
      }
      if (depth != 0) return false;
    } else {
      break;
    }
  }
  return true;
}

bool Scanner::take(char c) {
  if (peek() != c || at_end()) return false;
  ++pos_;
  return true;
}

std::string Scanner::keyword() {
  const std::size_t start = pos_;
  while (!at_end() && (text::is_alnum(text_[pos_]) || text_[pos_] == '-' || text_[pos_] == '_')) ++pos_;
  return std::string(text_.substr(start, pos_ - start));
}

std::string Scanner::digits() {
  const std::size_t start = pos_;
  while (!at_end() && text::is_digit(text_[pos_])) ++pos_;
  return std::string(text_.substr(start, pos_ - start));
}

std::optional<std::string> Scanner::quoted_string() {
  if (!take('"')) return std::nullopt;
  std::string out;
  while (!at_end()) {
    char c = text_[pos_++];
    if (c == '"') return out;
    if (c == '\\') {
      if (at_end()) return std::nullopt;
      c = text_[pos_++];
    } else if (c == '\r' || c == '\n') {
      continue;  // folding inside the string
    }
    if (text::is_control(c) && c != '\t') return std::nullopt;  // RFC 5322 3.2.4: no controls
    out += c;
  }
  return std::nullopt;  // unterminated
}

std::optional<std::string> Scanner::value() {
  if (peek() == '"') return quoted_string();
  const std::size_t start = pos_;
  while (!at_end() && is_token_char(text_[pos_])) ++pos_;
  if (pos_ == start) return std::nullopt;
  return std::string(text_.substr(start, pos_ - start));
}

std::optional<std::string> Scanner::pvalue() {
  if (peek() == '"') return quoted_string();
  const std::size_t start = pos_;
  while (!at_end()) {
    const char c = text_[pos_];
    if (text::is_fws(c) || c == '(' || c == ';') break;
    ++pos_;
  }
  return std::string(text_.substr(start, pos_ - start));  // may be empty: "smtp.mailfrom="
}

}  // namespace domainauth::mail
