// Parsing Authentication-Results field values (RFC 8601 2.2) found in messages.
// Untrusted input: bounded by kMaxParsedResults / kMaxParsedProperties; every
// failure is an error string naming the offset, never an exception.
#include <cctype>

#include "authres/authres.hpp"
#include "authres/lexical.hpp"

namespace domainauth::authres {

bool Scanner::skip_cfws() {
  while (!at_end()) {
    char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++pos_;
    } else if (c == '(') {
      int depth = 0;
      while (!at_end()) {
        char d = text_[pos_++];
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
  std::size_t start = pos_;
  while (!at_end() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-' || text_[pos_] == '_'))
    ++pos_;
  return std::string(text_.substr(start, pos_ - start));
}

std::string Scanner::digits() {
  std::size_t start = pos_;
  while (!at_end() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
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
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return std::nullopt;  // RFC 5322 3.2.4: no controls
    out += c;
  }
  return std::nullopt;  // unterminated
}

std::optional<std::string> Scanner::value() {
  if (peek() == '"') return quoted_string();
  std::size_t start = pos_;
  while (!at_end() && is_token_char(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  if (pos_ == start) return std::nullopt;
  return std::string(text_.substr(start, pos_ - start));
}

std::optional<std::string> Scanner::pvalue() {
  if (peek() == '"') return quoted_string();
  std::size_t start = pos_;
  while (!at_end()) {
    char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' || c == ';') break;
    ++pos_;
  }
  return std::string(text_.substr(start, pos_ - start));  // may be empty: "smtp.mailfrom="
}

namespace {

ParseResult fail(const Scanner& s, std::string_view what) {
  return {std::nullopt, std::string(what) + " at offset " + std::to_string(s.position())};
}

}  // namespace

ParseResult parse(std::string_view text) {
  Scanner s(text);
  Field field;
  if (!s.skip_cfws()) return fail(s, "unterminated comment");
  auto id = s.value();
  if (!id || id->empty()) return fail(s, "missing authserv-id");
  field.authserv_id = std::move(*id);
  if (!s.skip_cfws()) return fail(s, "unterminated comment");
  if (std::isdigit(static_cast<unsigned char>(s.peek()))) {
    (void)s.digits();  // authres-version; only version 1 exists
    if (!s.skip_cfws()) return fail(s, "unterminated comment");
  }
  if (!s.take(';')) return fail(s, "expected ';' after the authserv-id");
  while (true) {
    if (!s.skip_cfws()) return fail(s, "unterminated comment");
    if (s.at_end()) break;  // tolerate a trailing ';'
    if (field.results.size() >= kMaxParsedResults) return fail(s, "too many results");
    MethodResult r;
    r.method = s.keyword();
    if (r.method.empty()) return fail(s, "expected a method");
    if (!s.skip_cfws()) return fail(s, "unterminated comment");
    if (s.take('/')) {
      if (!s.skip_cfws() || s.digits().empty()) return fail(s, "expected a method version");
      if (!s.skip_cfws()) return fail(s, "unterminated comment");
    }
    if (!s.take('=')) {
      if (field.results.empty() && r.method == "none") {
        (void)s.take(';');
        if (!s.skip_cfws() || !s.at_end()) return fail(s, "text after 'none'");
        return {std::move(field), {}};
      }
      return fail(s, "expected '=' after the method");
    }
    if (!s.skip_cfws()) return fail(s, "unterminated comment");
    r.result = s.keyword();
    if (r.result.empty()) return fail(s, "expected a result");
    while (true) {
      if (!s.skip_cfws()) return fail(s, "unterminated comment");
      if (s.at_end() || s.take(';')) break;
      std::string word = s.keyword();
      if (word.empty()) return fail(s, "expected reason= or a property");
      if (!s.skip_cfws()) return fail(s, "unterminated comment");
      if (s.take('.')) {
        if (r.properties.size() >= kMaxParsedProperties) return fail(s, "too many properties");
        if (!s.skip_cfws()) return fail(s, "unterminated comment");
        Property p{word, s.keyword(), {}};
        if (p.property.empty()) return fail(s, "expected a property name");
        if (!s.skip_cfws() || !s.take('=') || !s.skip_cfws()) return fail(s, "expected '=' after the property");
        auto v = s.pvalue();
        if (!v) return fail(s, "unterminated quoted-string");
        p.value = std::move(*v);
        r.properties.push_back(std::move(p));
      } else if (word == "reason" && s.take('=')) {
        if (!s.skip_cfws()) return fail(s, "unterminated comment");
        auto v = s.value();
        if (!v) return fail(s, "expected a reason value");
        r.reason = std::move(*v);
      } else {
        return fail(s, "expected '.' after the property type");
      }
    }
    field.results.push_back(std::move(r));
    if (s.at_end()) break;
  }
  if (field.results.empty()) return fail(s, "no results");
  return {std::move(field), {}};
}

std::optional<std::string> authserv_id(std::string_view text) {
  Scanner s(text);
  if (!s.skip_cfws()) return std::nullopt;
  auto id = s.value();
  if (!id || id->empty()) return std::nullopt;
  return id;
}

}  // namespace domainauth::authres
