// SPF macro syntax and expansion (RFC 7208 7.1-7.4). Reads untrusted record
// text and explanation text; every malformed macro is reported, never guessed.
#include "spf/macro.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "text/ascii.hpp"

namespace domainauth::spf {
namespace {

// Parts are kept up to this count; RFC 7208 7.3 asks for at least 127.
constexpr unsigned kMaxTransformerDigits = 1000;

using text::is_alnum;
using text::is_alpha;
using text::is_digit;
using text::to_lower;

bool is_delimiter(char c) { return std::string_view(".-+,/_=").find(c) != std::string_view::npos; }

// One piece of a macro-string: a literal run or one macro-expand.
struct Token {
  enum class Kind : std::uint8_t { literal, macro } kind = Kind::literal;
  std::string_view literal;      // literal text; "%", " " or "%20" for %% %_ %-
  bool escape = false;           // %% %_ %- (a macro-expand in the ABNF)
  char letter = 0;               // lower-case macro letter
  bool url_escape = false;       // upper-case letter
  unsigned digits = 0;           // 0: all parts
  bool reverse = false;
  std::string_view delimiters;   // empty: "."
};

struct Tokens {
  std::vector<Token> tokens;
  std::string error;
};

std::string describe_char(char c) {
  char buf[16];
  auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f)
    std::snprintf(buf, sizeof buf, "'%c'", c);
  else
    std::snprintf(buf, sizeof buf, "0x%02X", u);
  return buf;
}

bool letter_allowed(char letter, MacroUse use) {
  if (std::string_view("slodipvh").find(letter) != std::string_view::npos) return true;
  return use == MacroUse::explanation && std::string_view("crt").find(letter) != std::string_view::npos;
}

// Parses "%{...}" starting at text[pos] == '%', text[pos+1] == '{'. Returns the
// index just past '}' or 0 with error set.
std::size_t parse_braced(std::string_view text, std::size_t pos, MacroUse use, Token& token, std::string& error) {
  std::size_t i = pos + 2;
  auto fail = [&](std::string why) {
    error = "bad macro at offset " + std::to_string(pos) + ": " + why;
    return std::size_t{0};
  };
  if (i >= text.size()) return fail("unterminated %{");
  char raw = text[i];
  token.letter = to_lower(raw);
  token.url_escape = raw >= 'A' && raw <= 'Z';
  if (!is_alpha(raw) || !letter_allowed(token.letter, use)) {
    if (is_alpha(raw) && letter_allowed(token.letter, MacroUse::explanation))
      return fail(std::string("letter '") + raw + "' is allowed only in exp text");
    return fail("unknown macro letter " + describe_char(raw));
  }
  ++i;
  std::size_t digits_start = i;
  unsigned value = 0;
  while (i < text.size() && is_digit(text[i])) {
    value = std::min(kMaxTransformerDigits, value * 10 + static_cast<unsigned>(text[i] - '0'));
    ++i;
  }
  if (i > digits_start && value == 0) return fail("transformer digits must be nonzero");
  token.digits = value;
  if (i < text.size() && to_lower(text[i]) == 'r') {
    token.reverse = true;
    ++i;
  }
  std::size_t delimiters_start = i;
  while (i < text.size() && is_delimiter(text[i])) ++i;
  token.delimiters = text.substr(delimiters_start, i - delimiters_start);
  if (i >= text.size()) return fail("unterminated %{");
  if (text[i] != '}') return fail("unexpected " + describe_char(text[i]) + " in %{...}");
  return i + 1;
}

// RFC 7208 7.1 macro-string (and 6.2 explanation-string when use is explanation).
Tokens tokenize(std::string_view text, MacroUse use) {
  Tokens out;
  std::size_t i = 0;
  std::size_t literal_start = 0;
  auto flush = [&](std::size_t end) {
    if (end <= literal_start) return;
    Token literal;
    literal.literal = text.substr(literal_start, end - literal_start);
    out.tokens.push_back(literal);
  };
  while (i < text.size()) {
    char c = text[i];
    if (c != '%') {
      bool visible = c > 0x20 && c < 0x7f;
      if (!visible && !(c == ' ' && use == MacroUse::explanation)) {
        out.error = "invalid character " + describe_char(c) + " at offset " + std::to_string(i);
        return out;
      }
      ++i;
      continue;
    }
    flush(i);
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    Token token;
    if (next == '%' || next == '_' || next == '-') {
      token.literal = next == '%' ? "%" : next == '_' ? " " : "%20";
      token.escape = true;
      i += 2;
    } else if (next == '{') {
      token.kind = Token::Kind::macro;
      std::size_t end = parse_braced(text, i, use, token, out.error);
      if (end == 0) return out;
      i = end;
    } else {
      out.error = "bad macro at offset " + std::to_string(i) + ": '%' must be followed by '{', '%', '_' or '-'";
      return out;
    }
    out.tokens.push_back(token);
    literal_start = i;
  }
  flush(i);
  return out;
}

// RFC 7208 7.1 toplabel = ( *alphanum ALPHA *alphanum ) /
//                         ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool is_toplabel(std::string_view label) {
  if (label.empty()) return false;
  bool has_alpha = std::any_of(label.begin(), label.end(), is_alpha);
  bool only_alnum = std::all_of(label.begin(), label.end(), is_alnum);
  if (only_alnum) return has_alpha;
  bool ldh = std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
  return ldh && is_alnum(label.front()) && is_alnum(label.back());
}

// The value a macro letter stands for, before transformers.
std::string letter_value(char letter, const MacroContext& context) {
  switch (letter) {
    case 's': return std::string(context.sender);
    case 'l': return std::string(context.local_part);
    case 'o': return std::string(context.sender_domain);
    case 'd': return std::string(context.domain);
    case 'i': return context.ip.is_v4() ? context.ip.to_string() : context.ip.dotted_nibbles();
    case 'p': return std::string(context.validated_name);
    case 'v': return context.ip.is_v4() ? "in-addr" : "ip6";
    case 'h': return std::string(context.helo);
    case 'c': return context.ip.to_string();
    case 'r': return context.receiver.empty() ? std::string("unknown") : std::string(context.receiver);
    case 't': return std::to_string(context.timestamp);
    default: return {};
  }
}

// RFC 7208 7.3: split on the delimiters, optionally reverse, keep the
// right-most `digits` parts, join with ".".
std::string transform(std::string_view value, const Token& token) {
  std::string_view delimiters = token.delimiters.empty() ? std::string_view(".") : token.delimiters;
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i == value.size() || delimiters.find(value[i]) != std::string_view::npos) {
      parts.push_back(value.substr(start, i - start));
      start = i + 1;
    }
  }
  if (token.reverse) std::reverse(parts.begin(), parts.end());
  std::size_t first = 0;
  if (token.digits != 0 && token.digits < parts.size()) first = parts.size() - token.digits;
  std::string out;
  for (std::size_t i = first; i < parts.size(); ++i) {
    if (i > first) out += '.';
    out += parts[i];
  }
  return out;
}

// RFC 3986 unreserved characters stay; everything else becomes %XX.
std::string url_escape(std::string_view value) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xf];
    }
  }
  return out;
}

}  // namespace

std::string check_macro_string(std::string_view text, MacroUse use) { return tokenize(text, use).error; }

std::string check_domain_spec(std::string_view text) {
  Tokens parsed = tokenize(text, MacroUse::domain);
  if (!parsed.error.empty()) return parsed.error;
  if (parsed.tokens.empty()) return "empty domain-spec";
  const Token& last = parsed.tokens.back();
  // %%, %_ and %- are macro-expands too.
  if (last.kind == Token::Kind::macro || last.escape) return {};
  std::string_view tail = last.literal;
  if (tail.ends_with('.')) tail.remove_suffix(1);
  auto dot = tail.rfind('.');
  if (dot == std::string_view::npos) return "domain-spec must end in \".\" toplabel or a macro";
  if (!is_toplabel(tail.substr(dot + 1)))
    return "invalid top label \"" + std::string(tail.substr(dot + 1)) + "\"";
  return {};
}

bool uses_validated_name(std::string_view text) {
  Tokens parsed = tokenize(text, MacroUse::explanation);
  return std::any_of(parsed.tokens.begin(), parsed.tokens.end(),
                     [](const Token& t) { return t.kind == Token::Kind::macro && t.letter == 'p'; });
}

Expansion expand(std::string_view text, const MacroContext& context, MacroUse use) {
  Expansion out;
  Tokens parsed = tokenize(text, use);
  if (!parsed.error.empty()) {
    out.error = parsed.error;
    return out;
  }
  for (const Token& token : parsed.tokens) {
    if (token.kind == Token::Kind::literal) {
      out.text += token.literal;
    } else {
      std::string value = transform(letter_value(token.letter, context), token);
      out.text += token.url_escape ? url_escape(value) : value;
    }
    if (out.text.size() > kMaxExpansionLength) {
      out.text.clear();
      out.error = "macro expansion longer than " + std::to_string(kMaxExpansionLength) + " octets";
      return out;
    }
  }
  return out;
}

Expansion expand_domain(std::string_view domain_spec, const MacroContext& context) {
  Expansion out = expand(domain_spec, context, MacroUse::domain);
  if (!out.ok()) return out;
  std::string& name = out.text;
  if (name.ends_with('.')) name.pop_back();
  // RFC 7208 7.3: remove whole labels from the left until it fits.
  while (name.size() > kMaxDomainLength) {
    auto dot = name.find('.');
    if (dot == std::string::npos) {
      out.error = "expanded domain has a single label longer than " + std::to_string(kMaxDomainLength) + " octets";
      name.clear();
      return out;
    }
    name.erase(0, dot + 1);
  }
  return out;
}

}  // namespace domainauth::spf
