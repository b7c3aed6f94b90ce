// Parsing Authentication-Results field values (RFC 8601 2.2) found in messages.
// Untrusted input: bounded by kMaxParsedResults / kMaxParsedProperties; every
// failure is an error string naming the offset, never an exception.
#include "authres/authres.hpp"
#include "mail/lexical.hpp"
#include "text/ascii.hpp"

namespace domainauth::authres {

using mail::Scanner;

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
  if (text::is_digit(s.peek())) {
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
