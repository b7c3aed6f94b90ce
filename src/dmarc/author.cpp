// Author Domain extraction (RFC 7489 6.6.1, RFC 9989 5.3.1) over an RFC 5322
// 3.4 address-list: a tokenizer (comments dropped, quoted strings and domain
// literals kept whole) and a small recursive-descent parser for mailboxes and
// groups. Reads untrusted header text.
#include "dmarc/author.hpp"

#include <idn2.h>

#include <algorithm>
#include <optional>

#include "dmarc/text.hpp"
#include "mail/lexical.hpp"

namespace domainauth::dmarc {

std::string_view to_string(AuthorStatus status) {
  switch (status) {
    case AuthorStatus::single: return "single";
    case AuthorStatus::multiple_domains: return "multiple_domains";
    case AuthorStatus::no_from_field: return "no_from_field";
    case AuthorStatus::multiple_from_fields: return "multiple_from_fields";
    case AuthorStatus::no_domain: return "no_domain";
    case AuthorStatus::malformed: return "malformed";
  }
  return "malformed";
}

std::string_view to_string(FromHandling handling) {
  switch (handling) {
    case FromHandling::evaluate: return "evaluate";
    case FromHandling::reject: return "reject";
    case FromHandling::ignore: return "ignore";
  }
  return "reject";
}

FromHandling Author::handling() const {
  switch (status) {
    case AuthorStatus::single:
    case AuthorStatus::multiple_domains: return FromHandling::evaluate;
    case AuthorStatus::no_domain: return FromHandling::ignore;
    case AuthorStatus::no_from_field:
    case AuthorStatus::multiple_from_fields:
    case AuthorStatus::malformed: return FromHandling::reject;
  }
  return FromHandling::reject;
}

namespace {

enum class Kind : std::uint8_t { atom, quoted, literal, special };

struct Token {
  Kind kind;
  std::string text;  // special: the character
};

// RFC 5322 3.2.3 atext plus '.', and UTF-8 bytes (RFC 6532 3.2).
bool atom_char(char c) { return mail::is_utf8_atext(c) || c == '.'; }

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s) : s_(s) {}

  // The tokens, or nullopt with why on an unterminated or stray construct.
  std::optional<std::vector<Token>> run(std::string& why) {
    std::vector<Token> out;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (text::is_fws(c)) {
        ++i_;
      } else if (c == '(') {
        if (!skip_comment(why)) return std::nullopt;
      } else if (c == '"') {
        if (!delimited('"', Kind::quoted, out, why)) return std::nullopt;
      } else if (c == '[') {
        if (!delimited(']', Kind::literal, out, why)) return std::nullopt;
      } else if (std::string_view("<>:;,@").find(c) != std::string_view::npos) {
        out.push_back({Kind::special, std::string(1, c)});
        ++i_;
      } else if (atom_char(c)) {
        std::size_t start = i_;
        while (i_ < s_.size() && atom_char(s_[i_])) ++i_;
        out.push_back({Kind::atom, std::string(s_.substr(start, i_ - start))});
      } else {
        why = std::string("unexpected character '") + c + "'";
        return std::nullopt;
      }
    }
    return out;
  }

 private:
  // RFC 5322 3.2.2: comments nest; quoted-pair escapes one character.
  bool skip_comment(std::string& why) {
    int depth = 0;
    for (; i_ < s_.size(); ++i_) {
      char c = s_[i_];
      if (c == '\\') {
        ++i_;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        ++i_;
        return true;
      }
    }
    why = "unterminated comment";
    return false;
  }

  bool delimited(char close, Kind kind, std::vector<Token>& out, std::string& why) {
    std::string text;
    for (++i_; i_ < s_.size(); ++i_) {
      char c = s_[i_];
      if (c == '\\' && i_ + 1 < s_.size()) {
        text.push_back(s_[++i_]);
      } else if (c == close) {
        ++i_;
        out.push_back({kind, std::move(text)});
        return true;
      } else {
        text.push_back(c);
      }
    }
    why = kind == Kind::quoted ? "unterminated quoted string" : "unterminated domain literal";
    return false;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

bool is_special(const Token& t, char c) { return t.kind == Kind::special && t.text[0] == c; }

// U-labels to A-labels (RFC 5890 2.3, via libidn2), lower case, checked.
std::optional<std::string> author_domain(const std::string& raw) {
  std::string ascii = raw;
  if (std::any_of(raw.begin(), raw.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    char* converted = nullptr;
    if (idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(raw.c_str()), reinterpret_cast<std::uint8_t**>(&converted),
                       IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) {
      return std::nullopt;
    }
    ascii = converted;
    idn2_free(converted);
  }
  if (!is_domain_name(ascii)) return std::nullopt;
  return normalize_domain(ascii);
}

class AddressListParser {
 public:
  explicit AddressListParser(const std::vector<Token>& tokens) : t_(tokens) {}

  // Fills domains (distinct); false with why when the list is not well formed.
  bool run(std::vector<std::string>& domains, std::string& why) {
    if (t_.empty()) return fail(why, "empty From field");
    while (pos_ < t_.size()) {
      if (!address(domains, why)) return false;
      if (pos_ < t_.size()) {
        if (!is_special(t_[pos_], ',')) return fail(why, "expected ',' between addresses");
        ++pos_;
      }
    }
    return true;
  }

  std::size_t literal_domains() const { return literals_; }

 private:
  bool fail(std::string& why, std::string what) {
    why = std::move(what);
    return false;
  }

  // address = mailbox / group; a group is display-name ":" [mailbox-list] ";".
  bool address(std::vector<std::string>& domains, std::string& why) {
    std::size_t k = pos_;
    while (k < t_.size() && (t_[k].kind == Kind::atom || t_[k].kind == Kind::quoted)) ++k;
    if (k > pos_ && k < t_.size() && is_special(t_[k], ':')) {
      pos_ = k + 1;
      return group(domains, why);
    }
    return mailbox(domains, why);
  }

  bool group(std::vector<std::string>& domains, std::string& why) {
    while (pos_ < t_.size() && !is_special(t_[pos_], ';')) {
      if (is_special(t_[pos_], ',')) {  // obs-group-list allows empty members
        ++pos_;
        continue;
      }
      if (!mailbox(domains, why)) return false;
    }
    // A group missing its final ';' at the end of the field is accepted (Postel).
    if (pos_ < t_.size()) ++pos_;
    return true;
  }

  bool mailbox(std::vector<std::string>& domains, std::string& why) {
    std::size_t k = pos_;
    while (k < t_.size() && (t_[k].kind == Kind::atom || t_[k].kind == Kind::quoted)) ++k;
    if (k < t_.size() && is_special(t_[k], '<')) return angle_addr(k, domains, why);
    return addr_spec(t_.size(), domains, why);
  }

  // [display-name] "<" [obs-route] addr-spec ">"
  bool angle_addr(std::size_t open, std::vector<std::string>& domains, std::string& why) {
    std::size_t close = open + 1;
    while (close < t_.size() && !is_special(t_[close], '>') && !is_special(t_[close], '<')) ++close;
    if (close >= t_.size() || !is_special(t_[close], '>')) return fail(why, "unbalanced '<' in an address");
    pos_ = open + 1;
    for (std::size_t k = pos_; k < close; ++k) {  // obs-route: "@a,@b:" before the addr-spec
      if (is_special(t_[k], ':')) pos_ = k + 1;
    }
    if (!addr_spec(close, domains, why)) return false;
    if (pos_ != close) return fail(why, "unexpected text inside '<...>'");
    pos_ = close + 1;
    return true;
  }

  // local-part "@" domain, ending before `end` or at a ',' / ';' / '>'. The
  // local part may be any run of words (lenient: "\"Joe, J\" joe@example.com").
  bool addr_spec(std::size_t end, std::vector<std::string>& domains, std::string& why) {
    std::size_t start = pos_;
    while (pos_ < end && (t_[pos_].kind == Kind::atom || t_[pos_].kind == Kind::quoted)) ++pos_;
    if (pos_ == start) return fail(why, "expected an address");
    if (pos_ >= end || !is_special(t_[pos_], '@')) return fail(why, "address without '@'");
    ++pos_;
    if (pos_ >= end || (t_[pos_].kind != Kind::atom && t_[pos_].kind != Kind::literal)) {
      return fail(why, "address without a domain");
    }
    const Token& d = t_[pos_++];
    if (d.kind == Kind::literal) {
      ++literals_;
      return true;
    }
    auto domain = author_domain(d.text);
    if (!domain) return fail(why, "not a usable domain name: " + d.text);
    if (std::find(domains.begin(), domains.end(), *domain) == domains.end()) {
      if (domains.size() >= kMaxAuthorDomains) return fail(why, "too many From domains");
      domains.push_back(std::move(*domain));
    }
    return true;
  }

  const std::vector<Token>& t_;
  std::size_t pos_ = 0;
  std::size_t literals_ = 0;
};

Author parse_one(std::string_view value) {
  Author out;
  if (value.size() > kMaxFromFieldLength) {
    out.reason = "From field longer than " + std::to_string(kMaxFromFieldLength) + " bytes";
    return out;
  }
  std::string why;
  auto tokens = Tokenizer(value).run(why);
  if (!tokens) {
    out.reason = "malformed From field: " + why;
    return out;
  }
  AddressListParser parser(*tokens);
  if (!parser.run(out.domains, why)) {
    out.domains.clear();
    out.reason = "malformed From field: " + why;
    return out;
  }
  if (out.domains.empty()) {
    out.status = AuthorStatus::no_domain;
    out.reason = "From field has no domain (group syntax or domain literal only)";
  } else if (out.domains.size() == 1) {
    out.status = AuthorStatus::single;
    out.reason = "one author domain";
  } else {
    out.status = AuthorStatus::multiple_domains;
    out.reason = "From field has addresses in " + std::to_string(out.domains.size()) + " domains";
  }
  return out;
}

}  // namespace

Author extract_author(std::span<const std::string> from_values) {
  Author out;
  if (from_values.empty()) {
    out.status = AuthorStatus::no_from_field;
    out.reason = "no From field";
  } else if (from_values.size() > 1) {
    out.status = AuthorStatus::multiple_from_fields;
    out.reason = std::to_string(from_values.size()) + " From fields";
    // Their domains, so that the policies they claim can still be found (a
    // repeated From must not hide a p=reject domain from its owner's reports).
    for (const auto& value : from_values) {
      for (auto& domain : parse_one(value).domains) {
        if (out.domains.size() >= kMaxAuthorDomains) break;
        if (std::find(out.domains.begin(), out.domains.end(), domain) == out.domains.end()) {
          out.domains.push_back(std::move(domain));
        }
      }
    }
  } else {
    out = parse_one(from_values.front());
  }
  return out;
}

Author extract_author(std::string_view from_value) { return parse_one(from_value); }

}  // namespace domainauth::dmarc
