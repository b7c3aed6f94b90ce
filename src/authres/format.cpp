// Writing Authentication-Results (RFC 8601 2.2) with the value escaping every
// emitted field relies on: nothing taken from a message or an SMTP session can end
// the field, start a new resinfo, or break the header's syntax.
#include "authres/authres.hpp"
#include "mail/lexical.hpp"
#include "text/ascii.hpp"

namespace domainauth::authres {
namespace {

// Letters, digits, '-', '_' in dot-separated labels (DKIM's domain-name, plus the
// underscore that real selectors and SPF macro targets carry).
bool is_domain(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!text::is_alnum(s[i]) && s[i] != '-' && s[i] != '_') {
      return false;
    }
  }
  return true;
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
  if (mail::is_token(value)) return std::string(value);
  return mail::quoted_string(value, mail::Unprintable::drop);
}

std::string quote_pvalue(std::string_view value) {
  auto at = value.rfind('@');
  if (at != std::string_view::npos) {
    auto local = value.substr(0, at);
    auto domain = value.substr(at + 1);
    if ((local.empty() || mail::is_dot_atom(local)) && is_domain(domain)) return std::string(value);
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
    if (!r.comment.empty()) line.atom(" ", "(" + mail::comment_text(r.comment, mail::Unprintable::space) + ")");
    if (!r.reason.empty()) line.atom(" ", "reason=" + quote_value(r.reason));
    for (const auto& p : r.properties)
      line.atom(" ", quote_value(p.ptype) + "." + quote_value(p.property) + "=" + quote_pvalue(p.value));
  }
  return line.take();
}

bool same_authserv_id(std::string_view a, std::string_view b) { return text::iequals(a, b); }

}  // namespace domainauth::authres
