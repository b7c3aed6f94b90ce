// DMARC record parser (RFC 7489 6.3/6.4, RFC 9989 4.7/4.8): tag-list splitting,
// per-tag value rules, and reporting URIs with the size suffix (RFC 7489 6.2).
// Reads untrusted TXT record text.
#include "dmarc/record.hpp"

#include <array>
#include <charconv>
#include <set>

#include "dmarc/text.hpp"

namespace domainauth::dmarc {

std::string_view to_string(Policy policy) {
  switch (policy) {
    case Policy::none: return "none";
    case Policy::quarantine: return "quarantine";
    case Policy::reject: return "reject";
  }
  return "none";
}

std::string_view to_string(AlignmentMode mode) { return mode == AlignmentMode::strict ? "s" : "r"; }

std::string_view to_string(PsdFlag flag) {
  switch (flag) {
    case PsdFlag::yes: return "y";
    case PsdFlag::no: return "n";
    case PsdFlag::unknown: return "u";
  }
  return "u";
}

namespace {

// RFC 9989 4.8: dmarc-value = %x20-3A / %x3C-7E (';' cannot occur after splitting).
bool printable(std::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// The first tag: "v" *WSP "=" *WSP "DMARC1" (value case sensitive, RFC 9989 4.7).
bool version_tag_ok(std::string_view tag) {
  auto eq = tag.find('=');
  if (eq == std::string_view::npos) return false;
  return iequals(trim_wsp(tag.substr(0, eq)), "v") && trim_wsp(tag.substr(eq + 1)) == "DMARC1";
}

std::optional<Policy> parse_policy(std::string_view value) {
  if (iequals(value, "none")) return Policy::none;
  if (iequals(value, "quarantine")) return Policy::quarantine;
  if (iequals(value, "reject")) return Policy::reject;
  return std::nullopt;
}

// A URI (RFC 3986) character that may appear unencoded in a DMARC URI: every
// unreserved, reserved or '%' character except ',' and '!' (RFC 7489 6.2).
bool uri_char(char c) {
  static constexpr std::string_view extra = "-._~:/?#[]@$&'()*+;=%";
  return is_alpha(c) || is_digit(c) || extra.find(c) != std::string_view::npos;
}

bool valid_percent_encoding(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
    i += 2;
  }
  return true;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// mailto: hfields are ignored; the mailbox must be local@domain with a domain name.
std::string mailto_mailbox(std::string_view rest) {
  std::string mailbox = percent_decode(rest.substr(0, rest.find('?')));
  auto at = mailbox.rfind('@');
  if (at == std::string::npos || at == 0 || !is_domain_name(std::string_view(mailbox).substr(at + 1))) return {};
  return mailbox;
}

// obs-dmarc-report-size: "!" 1*DIGIT [ "k" / "m" / "g" / "t" ], powers of two.
std::optional<std::uint64_t> parse_size(std::string_view s) {
  int shift = 0;
  if (!s.empty() && !is_digit(s.back())) {
    static constexpr std::string_view units = "kmgt";
    auto unit = units.find(to_lower(s.back()));
    if (unit == std::string_view::npos) return std::nullopt;
    shift = 10 * static_cast<int>(unit + 1);
    s.remove_suffix(1);
  }
  if (!all_digits(s)) return std::nullopt;
  std::uint64_t count = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), count);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  if (shift > 0 && count > (UINT64_MAX >> shift)) return std::nullopt;
  return count << shift;
}

class Parser {
 public:
  explicit Parser(Record& record) : r_(record) {}

  void tag(std::string_view name, std::string_view value) {
    if (name == "p") return policy(r_.p, name, value);
    if (name == "sp") return policy(r_.sp, name, value);
    if (name == "np") return policy(r_.np, name, value);
    if (name == "adkim") return alignment(r_.adkim, name, value);
    if (name == "aspf") return alignment(r_.aspf, name, value);
    if (name == "pct") return pct(value);
    if (name == "rf") return rf(value);
    if (name == "ri") return ri(value);
    if (name == "fo") return fo(value);
    if (name == "rua") return uris(r_.rua, name, value);
    if (name == "ruf") return uris(r_.ruf, name, value);
    if (name == "psd") return psd(value);
    if (name == "t") return testing(value);
    // Unknown tags MUST be ignored (RFC 7489 6.3, RFC 9989 4.7).
  }

  void problem(std::string_view tag, std::string_view value, std::string what) {
    r_.problems.push_back({std::string(tag), std::string(value), std::move(what)});
  }

 private:
  void policy(PolicyTag& out, std::string_view name, std::string_view value) {
    out.present = true;
    out.value = parse_policy(value);
    if (!out.value) problem(name, value, "not none, quarantine or reject");
  }

  void alignment(AlignmentMode& out, std::string_view name, std::string_view value) {
    if (iequals(value, "r")) {
      out = AlignmentMode::relaxed;
    } else if (iequals(value, "s")) {
      out = AlignmentMode::strict;
    } else {
      problem(name, value, "not r or s; default r used");
    }
  }

  void pct(std::string_view value) {
    int n = 0;
    if (value.size() <= 3 && all_digits(value)) std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.size() > 3 || !all_digits(value) || n > 100) {
      problem("pct", value, "not an integer from 0 to 100; default 100 used");
      return;
    }
    r_.pct = n;
  }

  void rf(std::string_view value) {
    std::vector<std::string> formats;
    for (std::string_view item : split(value, ':')) {
      item = trim_wsp(item);
      if (iequals(item, "afrf")) {
        formats.emplace_back("afrf");
      } else {
        problem("rf", item, "not a registered report format (afrf); ignored");
      }
    }
    if (!formats.empty()) r_.rf = std::move(formats);
  }

  void ri(std::string_view value) {
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (!all_digits(value) || ec != std::errc() || end != value.data() + value.size()) {
      problem("ri", value, "not a 32-bit unsigned integer; default 86400 used");
      return;
    }
    r_.ri = n;
  }

  void fo(std::string_view value) {
    FailureOptions options{false, false, false, false};
    for (std::string_view item : split(value, ':')) {
      item = trim_wsp(item);
      if (item == "0") {
        options.all_fail = true;
      } else if (item == "1") {
        options.any_fail = true;
      } else if (iequals(item, "d")) {
        options.dkim = true;
      } else if (iequals(item, "s")) {
        options.spf = true;
      } else {
        problem("fo", value, "not a colon-separated list of 0, 1, d, s; default 0 used");
        return;
      }
    }
    r_.fo = options;
  }

  void uris(std::vector<ReportUri>& out, std::string_view name, std::string_view value) {
    for (std::string_view item : split(value, ',')) {
      item = trim_wsp(item);
      std::string why;
      auto uri = parse_report_uri(item, why);
      if (!uri) {
        problem(name, item, std::move(why));
      } else if (out.size() >= kMaxReportUris) {
        problem(name, item, "more than " + std::to_string(kMaxReportUris) + " URIs; ignored");
      } else {
        out.push_back(std::move(*uri));
      }
    }
  }

  void psd(std::string_view value) {
    if (iequals(value, "y")) {
      r_.psd = PsdFlag::yes;
    } else if (iequals(value, "n")) {
      r_.psd = PsdFlag::no;
    } else if (iequals(value, "u")) {
      r_.psd = PsdFlag::unknown;
    } else {
      problem("psd", value, "not y, n or u; default u used");
    }
  }

  void testing(std::string_view value) {
    if (iequals(value, "y")) {
      r_.testing = true;
    } else if (iequals(value, "n")) {
      r_.testing = false;
    } else {
      problem("t", value, "not y or n; default n used");
    }
  }

  Record& r_;
};

}  // namespace

std::optional<ReportUri> parse_report_uri(std::string_view text, std::string& why) {
  ReportUri out;
  auto bang = text.find('!');
  if (bang != std::string_view::npos) {
    out.max_size = parse_size(text.substr(bang + 1));
    if (!out.max_size) {
      why = "bad size limit after '!'";
      return std::nullopt;
    }
    text = text.substr(0, bang);
  }
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(text[0])) {
    why = "not a URI (no scheme)";
    return std::nullopt;
  }
  for (char c : text.substr(0, colon)) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') {
      why = "bad URI scheme";
      return std::nullopt;
    }
  }
  std::string_view rest = text.substr(colon + 1);
  bool chars_ok = true;
  for (char c : rest) chars_ok = chars_ok && uri_char(c);
  if (rest.empty() || !chars_ok || !valid_percent_encoding(rest)) {
    why = "not a valid URI (RFC 3986)";
    return std::nullopt;
  }
  out.uri = std::string(text);
  out.scheme = to_lower(text.substr(0, colon));
  if (out.scheme == "mailto") out.mailbox = mailto_mailbox(rest);
  return out;
}

bool is_dmarc_record(std::string_view text) {
  return text.size() <= kMaxRecordLength && version_tag_ok(text.substr(0, text.find(';')));
}

ParseResult parse_record(std::string_view text) {
  if (text.size() > kMaxRecordLength) return {std::nullopt, "longer than " + std::to_string(kMaxRecordLength) + " bytes"};
  std::vector<std::string_view> tags = split(text, ';');
  if (trim_wsp(text).empty()) return {std::nullopt, "empty record"};
  if (!version_tag_ok(tags.front())) return {std::nullopt, "does not start with v=DMARC1"};
  Record record;
  Parser parser(record);
  std::set<std::string, std::less<>> seen{"v"};
  for (std::size_t i = 1; i < tags.size(); ++i) {
    std::string_view tag = trim_wsp(tags[i]);
    if (tag.empty()) continue;  // "v=DMARC1; p=none;" ends with a separator
    auto eq = tag.find('=');
    if (eq == std::string_view::npos) {
      parser.problem(tag, "", "no '=': not a tag; ignored");
      continue;
    }
    std::string name = to_lower(trim_wsp(tag.substr(0, eq)));
    std::string_view value = trim_wsp(tag.substr(eq + 1));
    bool name_ok = !name.empty();
    for (char c : name) name_ok = name_ok && is_alpha(c);
    if (!name_ok) {
      parser.problem(name, value, "tag name is not letters only; ignored");
    } else if (!seen.insert(name).second) {
      parser.problem(name, value, "duplicate tag; the first one is used");
    } else if (value.empty() || !printable(value)) {
      parser.problem(name, value, "empty value or non-printable characters; ignored");
    } else {
      parser.tag(name, value);
    }
  }
  return {std::move(record), {}};
}

}  // namespace domainauth::dmarc
