// Writing Authentication-Results (RFC 8601 2.2) with the value escaping every
// emitted field relies on: nothing taken from a message or an SMTP session can end
// the field, start a new resinfo, or break the header's syntax.
#include <cctype>

#include "text/ascii.hpp"
#include "authres/authres.hpp"
#include "authres/lexical.hpp"

namespace domainauth::authres {
namespace {

bool is_atext(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 5322 dot-atom-text: atext runs separated by single dots.
bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
  }
  return true;
}

// Letters, digits, '-', '_' in dot-separated labels (DKIM's domain-name, plus the
// underscore that real selectors and SPF macro targets carry).
bool is_domain(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!std::isalnum(c) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

std::string comment_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    if (u < 0x20 || u == 0x7f) c = ' ';
    out += c;
  }
  return out;
}

// Appends atoms, breaking the line before an atom that would pass kFoldWidth.
class LineWriter {
 public:
  LineWriter(std::string_view fold_break, std::size_t start_column)
      : fold_(fold_break), column_(start_column) {}

  void atom(std::string_view separator, std::string_view text) {
    if (!out_.empty() && column_ + separator.size() + text.size() > kFoldWidth) {
      // Keep a separator's non-space part (";") on the old line.
      out_ += separator.substr(0, separator.find_last_not_of(' ') + 1);  // npos + 1 == 0
      out_ += fold_;
      column_ = 8;  // a tab
    } else {
      out_ += separator;
      column_ += separator.size();
    }
    out_ += text;
    column_ += text.size();
  }
  std::string take() { return std::move(out_); }

 private:
  std::string_view fold_;
  std::size_t column_;
  std::string out_;
};

}  // namespace

std::string quote_value(std::string_view value) {
  bool token = !value.empty();
  for (char c : value)
    if (!is_token_char(static_cast<unsigned char>(c))) token = false;
  if (token) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      if (c == '\t') out += ' ';
      continue;  // CR, LF, NUL and other controls never reach the header
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string quote_pvalue(std::string_view value) {
  auto at = value.rfind('@');
  if (at != std::string_view::npos) {
    auto local = value.substr(0, at);
    auto domain = value.substr(at + 1);
    if ((local.empty() || is_dot_atom(local)) && is_domain(domain)) return std::string(value);
    return quote_value(value);
  }
  return quote_value(value);
}

std::string format(const Field& field, std::string_view fold_break) {
  // "Authentication-Results:" is 23 columns; the value starts after it.
  LineWriter line(fold_break, 23);
  line.atom(" ", quote_value(field.authserv_id));
  if (field.results.empty()) {
    line.atom("; ", "none");
    return line.take();
  }
  for (const auto& r : field.results) {
    line.atom("; ", quote_value(r.method) + "=" + quote_value(r.result));
    if (!r.comment.empty()) line.atom(" ", "(" + comment_text(r.comment) + ")");
    if (!r.reason.empty()) line.atom(" ", "reason=" + quote_value(r.reason));
    for (const auto& p : r.properties)
      line.atom(" ", quote_value(p.ptype) + "." + quote_value(p.property) + "=" + quote_pvalue(p.value));
  }
  return line.take();
}

bool same_authserv_id(std::string_view a, std::string_view b) { return text::iequals(a, b); }

}  // namespace domainauth::authres
