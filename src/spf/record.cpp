// SPF record parser (RFC 7208 4.5, 4.6, 5, 6, 12). Every term is checked, even
// after an "all", so a syntax error anywhere gives permerror (RFC 7208 4.6).
// Reads untrusted TXT text; errors quote the offending term with non-printable
// bytes escaped.
#include "spf/record.hpp"

#include <array>
#include <cstdio>

#include "spf/macro.hpp"
#include "text/ascii.hpp"

namespace domainauth::spf {
namespace {

constexpr std::string_view kVersion = "v=spf1";
// Long terms are cut in error messages.
constexpr std::size_t kMaxQuotedTerm = 80;

using text::iequals;
using text::is_alpha;
using text::is_digit;


// The term in double quotes, bytes outside printable ASCII as \xNN.
std::string quote(std::string_view term) {
  std::string out = "\"";
  for (std::size_t i = 0; i < term.size() && i < kMaxQuotedTerm; ++i) {
    auto u = static_cast<unsigned char>(term[i]);
    if (u < 0x20 || u > 0x7e || u == '"' || u == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += term[i];
    }
  }
  if (term.size() > kMaxQuotedTerm) out += "...";
  return out + "\"";
}

// ip4-cidr-length / ip6-cidr-length digits: "0" or no leading zero, <= max.
std::optional<unsigned> parse_cidr(std::string_view digits, unsigned max) {
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  unsigned value = 0;
  for (char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

// Removes a trailing "/" 1*DIGIT from s and returns the digits.
std::optional<std::string_view> take_cidr_suffix(std::string_view& s) {
  std::size_t i = s.size();
  while (i > 0 && is_digit(s[i - 1])) --i;
  if (i == s.size() || i == 0 || s[i - 1] != '/') return std::nullopt;
  std::string_view digits = s.substr(i);
  s = s.substr(0, i - 1);
  return digits;
}

struct TermParser {
  ParsedRecord& out;
  std::string_view term;

  bool fail(std::string why) {
    out.error = why + " in term " + quote(term);
    return false;
  }

  // RFC 7208 5.6: ip4 / ip6 ":" network [ cidr-length ].
  bool ip_network(Mechanism& m, std::string_view rest, bool v6) {
    if (!rest.starts_with(':')) return fail(std::string(v6 ? "ip6" : "ip4") + " needs \":\" and a network");
    rest.remove_prefix(1);
    auto slash = rest.find('/');
    std::string_view address = rest.substr(0, slash);
    auto ip = v6 ? net::IpAddress::parse_v6(address) : net::IpAddress::parse_v4(address);
    if (!ip) return fail(std::string("invalid ") + (v6 ? "IPv6" : "IPv4") + " address");
    unsigned width = v6 ? 128 : 32;
    unsigned len = width;
    if (slash != std::string_view::npos) {
      auto cidr = parse_cidr(rest.substr(slash + 1), width);
      if (!cidr) return fail("invalid CIDR length");
      len = *cidr;
    }
    m.network = net::Network{*ip, len};
    return true;
  }

  // RFC 7208 5.3/5.4: [ ":" domain-spec ] [ ip4-cidr-length ] [ "/" ip6-cidr-length ].
  bool dual_cidr_target(Mechanism& m, std::string_view rest) {
    if (auto digits = take_cidr_suffix(rest)) {
      if (rest.ends_with('/')) {
        rest.remove_suffix(1);
        auto cidr6 = parse_cidr(*digits, 128);
        if (!cidr6) return fail("invalid IPv6 CIDR length");
        m.cidr6 = *cidr6;
        digits = take_cidr_suffix(rest);
      }
      if (digits) {
        auto cidr4 = parse_cidr(*digits, 32);
        if (!cidr4) return fail("invalid IPv4 CIDR length");
        m.cidr4 = *cidr4;
      }
    }
    return optional_target(m, rest);
  }

  // [ ":" domain-spec ]
  bool optional_target(Mechanism& m, std::string_view rest) {
    if (rest.empty()) return true;
    if (!rest.starts_with(':')) return fail("unexpected text after mechanism name");
    return required_target(m, rest);
  }

  // ":" domain-spec
  bool required_target(Mechanism& m, std::string_view rest) {
    if (!rest.starts_with(':')) return fail("mechanism needs \":\" and a domain");
    rest.remove_prefix(1);
    if (std::string error = check_domain_spec(rest); !error.empty()) return fail(error);
    m.domain_spec = std::string(rest);
    return true;
  }

  bool mechanism() {
    Mechanism m;
    m.text = std::string(term);
    std::string_view body = term;
    static constexpr std::array<std::pair<char, Qualifier>, 4> kQualifiers{
        {{'+', Qualifier::pass}, {'-', Qualifier::fail}, {'~', Qualifier::softfail}, {'?', Qualifier::neutral}}};
    for (auto [c, q] : kQualifiers) {
      if (body.starts_with(c)) {
        m.qualifier = q;
        body.remove_prefix(1);
        break;
      }
    }
    auto end = body.find_first_of(":/");
    std::string_view name = body.substr(0, end);
    std::string_view rest = end == std::string_view::npos ? std::string_view{} : body.substr(end);
    bool ok = false;
    if (iequals(name, "all")) {
      m.kind = MechanismKind::all;
      ok = rest.empty() || fail("\"all\" takes no argument");
    } else if (iequals(name, "include")) {
      m.kind = MechanismKind::include;
      ok = required_target(m, rest);
    } else if (iequals(name, "a")) {
      m.kind = MechanismKind::a;
      ok = dual_cidr_target(m, rest);
    } else if (iequals(name, "mx")) {
      m.kind = MechanismKind::mx;
      ok = dual_cidr_target(m, rest);
    } else if (iequals(name, "ptr")) {
      m.kind = MechanismKind::ptr;
      ok = optional_target(m, rest);
    } else if (iequals(name, "ip4")) {
      m.kind = MechanismKind::ip4;
      ok = ip_network(m, rest, false);
    } else if (iequals(name, "ip6")) {
      m.kind = MechanismKind::ip6;
      ok = ip_network(m, rest, true);
    } else if (iequals(name, "exists")) {
      m.kind = MechanismKind::exists;
      ok = required_target(m, rest);
    } else {
      return fail("unknown mechanism");
    }
    if (ok) out.record.mechanisms.push_back(std::move(m));
    return ok;
  }

  // RFC 7208 6: redirect= and exp= at most once each; other names ignored
  // when their value is a valid macro-string.
  bool modifier(std::string_view name, std::string_view value) {
    bool is_redirect = iequals(name, "redirect");
    if (is_redirect || iequals(name, "exp")) {
      std::optional<std::string>& slot = is_redirect ? out.record.redirect : out.record.exp;
      if (slot) return fail(std::string(is_redirect ? "redirect" : "exp") + "= given more than once");
      if (std::string error = check_domain_spec(value); !error.empty()) return fail(error);
      slot = std::string(value);
      return true;
    }
    if (std::string error = check_macro_string(value, MacroUse::domain); !error.empty()) return fail(error);
    return true;
  }

  bool parse() {
    for (char c : term) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f) return fail("non-printable or non-ASCII character");
    }
    // name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=".
    std::size_t i = 0;
    if (!term.empty() && is_alpha(term[0])) {
      i = 1;
      while (i < term.size() && (is_alpha(term[i]) || is_digit(term[i]) || term[i] == '-' || term[i] == '_' ||
                                 term[i] == '.'))
        ++i;
      if (i < term.size() && term[i] == '=') return modifier(term.substr(0, i), term.substr(i + 1));
    }
    return mechanism();
  }
};

}  // namespace

bool Mechanism::queries_dns() const {
  switch (kind) {
    case MechanismKind::include:
    case MechanismKind::a:
    case MechanismKind::mx:
    case MechanismKind::ptr:
    case MechanismKind::exists: return true;
    case MechanismKind::all:
    case MechanismKind::ip4:
    case MechanismKind::ip6: return false;
  }
  return false;
}

bool Record::has_all() const {
  for (const Mechanism& m : mechanisms)
    if (m.kind == MechanismKind::all) return true;
  return false;
}

bool is_spf_record(std::string_view text) {
  if (text.size() < kVersion.size() || !iequals(text.substr(0, kVersion.size()), kVersion)) return false;
  return text.size() == kVersion.size() || text[kVersion.size()] == ' ';
}

ParsedRecord parse_record(std::string_view text) {
  ParsedRecord out;
  if (text.size() > kMaxRecordLength) {
    out.error = "record longer than " + std::to_string(kMaxRecordLength) + " octets";
    return out;
  }
  if (!is_spf_record(text)) {
    out.error = "record does not start with \"v=spf1\"";
    return out;
  }
  std::string_view rest = text.substr(kVersion.size());
  // RFC 7208 4.6.1: terms are separated by one or more spaces.
  while (!rest.empty()) {
    auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    auto end = rest.find(' ');
    TermParser parser{out, rest.substr(0, end)};
    if (!parser.parse()) {
      out.record = Record{};
      return out;
    }
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  return out;
}

std::string_view to_string(MechanismKind kind) {
  switch (kind) {
    case MechanismKind::all: return "all";
    case MechanismKind::include: return "include";
    case MechanismKind::a: return "a";
    case MechanismKind::mx: return "mx";
    case MechanismKind::ptr: return "ptr";
    case MechanismKind::ip4: return "ip4";
    case MechanismKind::ip6: return "ip6";
    case MechanismKind::exists: return "exists";
  }
  return "unknown";
}

}  // namespace domainauth::spf
