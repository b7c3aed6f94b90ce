// DKIM-Signature parse and write (see signature.hpp). RFC 6376 3.5, 3.7, 6.1.1, 2.11.
#include "dkim/signature.hpp"

#include <algorithm>
#include <charconv>

#include "dkim/tag_list.hpp"
#include "dns/domain_name.hpp"
#include "text/ascii.hpp"

namespace domainauth::dkim {
namespace {

using text::is_fws;

constexpr std::size_t kLineWidth = 78;
constexpr std::size_t kMaxTimeDigits = 12;   // RFC 6376 3.5 t=, x=
constexpr std::size_t kMaxLengthDigits = 19;  // l= that still fits 64 bits

// Fills the signature from the tags; returns the first error.
std::string read_tags(const TagList& tags, Signature& s, SignatureKind kind) {
  const bool dkim = kind == SignatureKind::dkim;
  auto get = [&](std::string_view n) { return tags.find(n); };
  if (auto d = get("d")) s.domain = *d;
  if (auto sel = get("s")) s.selector = *sel;
  if (auto a = get("a")) s.algorithm_text = *a;
  if (auto b = get("b")) s.b_text = strip_fws(*b);
  if (auto r = get("r")) s.reports_requested = dkim && *r == "y";  // RFC 6651 3.1: any other value asks nothing
  if (!tags.ok()) return tags.error;
  // v= is required, but signatures of the pre-RFC drafts without it are read as
  // v=1 (as Mail::DKIM and dkimpy do); any other version is refused (6.1.1).
  for (std::string_view required : {"a", "b", "bh", "d", "h", "s"}) {
    if (!get(required)) return "missing required tag " + std::string(required) + "=";
  }
  if (auto v = get("v"); dkim && v && *v != "1") return "unsupported version v=" + std::string(*v);
  auto algorithm = parse_algorithm(*get("a"));
  if (!algorithm) return "unsupported algorithm a=" + std::string(*get("a"));
  s.algorithm = *algorithm;
  auto b = base64_decode(*get("b"));
  if (!b || b->empty()) return "b= is not valid base64";
  s.b = std::move(*b);
  auto bh = base64_decode(*get("bh"));
  if (!bh || bh->empty()) return "bh= is not valid base64";
  s.bh = std::move(*bh);
  if (s.domain.empty()) return "empty d=";
  if (s.selector.empty()) return "empty s=";
  // RFC 6376 3.5: d= is a domain-name, s= a selector (sub-domain labels); a
  // key lookup is never built from anything else.
  if (!dns::is_domain_name(s.domain)) return "d= is not a domain name";
  if (!dns::is_domain_name(s.selector)) return "s= is not a selector";
  if (auto c = get("c")) {
    auto parts = split_list(*c, '/');
    auto header = mail::parse_canonicalization(parts[0]);
    auto body = parts.size() > 1 ? mail::parse_canonicalization(parts[1]) : mail::Canonicalization::simple;
    if (parts.size() > 2 || !header || !body) return "unsupported canonicalization c=" + std::string(*c);
    s.header_canon = *header;
    s.body_canon = *body;
  }
  if (auto q = get("q")) {
    auto methods = split_list(*q);
    // "dns" is the pre-RFC drafts' spelling of dns/txt.
    if (std::none_of(methods.begin(), methods.end(), [](const auto& m) { return m == "dns/txt" || m == "dns"; }))
      return "unsupported query method q=" + std::string(*q);
  }
  s.headers = split_list(*get("h"));
  // ARC validators accept an empty h= and empty names in it, which name no field
  // (as the ARC test suite expects; RFC 8617 does not say otherwise).
  if (!dkim) std::erase_if(s.headers, [](const auto& h) { return h.empty(); });
  if (s.headers.size() > kMaxSignedHeaders) return "h= lists more than " + std::to_string(kMaxSignedHeaders);
  for (const auto& h : s.headers) {
    if (h.empty()) return "empty header name in h=";
    if (!mail::is_field_name(h)) return "h= lists a name that is not a header field name";
  }
  if (dkim &&
      std::none_of(s.headers.begin(), s.headers.end(), [](const auto& h) { return mail::iequals(h, "from"); }))
    return "h= does not include From";  // RFC 6376 5.4
  if (dkim) s.identity = "@" + s.domain;
  if (auto i = get("i"); dkim && i) {
    auto decoded = decode_quoted_printable(*i);
    if (!decoded || decoded->find('@') == std::string::npos) return "malformed i=";
    if (!is_within(identity_domain(*decoded), s.domain)) return "i= domain is not within d=";  // 6.1.1
    s.identity = std::move(*decoded);
  }
  if (auto l = get("l")) {
    s.length = parse_decimal(*l, kMaxLengthDigits);
    if (!s.length) return "malformed l=";
  }
  if (auto t = get("t")) {
    s.timestamp = parse_decimal(*t, kMaxTimeDigits);
    if (!s.timestamp) return "malformed t=";
  }
  if (auto x = get("x")) {
    s.expiration = parse_decimal(*x, kMaxTimeDigits);
    if (!s.expiration) return "malformed x=";
    if (s.timestamp && *s.expiration < *s.timestamp) return "x= is earlier than t=";  // 3.5
  }
  if (auto z = get("z")) {
    for (const auto& item : split_list(*z, '|')) {
      auto decoded = decode_quoted_printable(item);
      if (!decoded) return "malformed z=";
      s.copied_headers.push_back(std::move(*decoded));
    }
  }
  return {};
}

}  // namespace

ParsedSignature parse_signature(std::string_view value, SignatureKind kind) {
  ParsedSignature out;
  out.error = read_tags(parse_tag_list(value), out.signature, kind);
  return out;
}

mail::HeaderField without_b_value(const mail::HeaderField& field) {
  std::string raw = field.raw;
  std::size_t pos = raw.find(':') + 1;
  while (pos <= raw.size()) {
    std::size_t end = raw.find(';', pos);
    if (end == std::string::npos) end = raw.size();
    std::size_t eq = raw.find('=', pos);
    if (eq != std::string::npos && eq < end) {
      std::string_view name(raw.data() + pos, eq - pos);
      name = name.substr(std::min(name.find_first_not_of(" \t\r\n"), name.size()));
      name = name.substr(0, name.find_last_not_of(" \t\r\n") + 1);
      if (name == "b") {
        raw.erase(eq + 1, end - eq - 1);
        break;
      }
    }
    pos = end + 1;
  }
  return {field.name, std::move(raw)};
}

std::string_view identity_domain(std::string_view identity) {
  auto at = identity.rfind('@');
  return at == std::string_view::npos ? identity : identity.substr(at + 1);
}

bool is_within(std::string_view domain, std::string_view d) {
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  while (!d.empty() && d.back() == '.') d.remove_suffix(1);
  if (mail::iequals(domain, d)) return true;
  return domain.size() > d.size() && domain[domain.size() - d.size() - 1] == '.' &&
         mail::iequals(domain.substr(domain.size() - d.size()), d);
}

std::optional<std::string> decode_quoted_printable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (is_fws(c)) continue;  // FWS is not part of the value
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, v, 16);
    if (ec != std::errc{} || end != text.data() + i + 3) return std::nullopt;
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

std::string encode_quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    // dkim-safe-char = %x21-3A / %x3C / %x3E-7E; "|" too, for z=.
    if (u >= 0x21 && u <= 0x7e && c != ';' && c != '=' && c != '|') {
      out.push_back(c);
    } else {
      out.push_back('=');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

namespace {

// Appends base64 text after "name=" at column, breaking lines (CRLF TAB) so
// that each holds as much as fits (RFC 6376 3.5: FWS inside b= is ignored).
void fold_base64(std::string& out, std::size_t& column, std::string_view value) {
  for (std::size_t pos = 0; pos < value.size();) {
    if (column + 8 > kLineWidth) {
      out += "\r\n\t";
      column = 1;
    }
    std::string_view piece = value.substr(pos, kLineWidth - column);
    out += piece;
    column += piece.size();
    pos += piece.size();
  }
}

}  // namespace

FoldedTagWriter::FoldedTagWriter(std::string_view field_name) : out_(field_name) {
  out_.reserve(field_name.size() + 512);
  out_ += ':';
  column_ = out_.size();
}

void FoldedTagWriter::tag(std::string_view item) {
  if (column_ + 1 + item.size() > kLineWidth && column_ > 1) {
    out_ += "\r\n\t";
    column_ = 1;
  } else {
    out_ += ' ';
    ++column_;
  }
  out_ += item;
  column_ += item.size();
}

void FoldedTagWriter::base64(std::string_view name, std::string_view value, std::string_view after) {
  out_ += "\r\n\t";
  out_ += name;
  out_ += '=';
  column_ = 2 + name.size();
  fold_base64(out_, column_, value);
  out_ += after;
  column_ += after.size();
}

std::string format_signature_head(const Signature& s, bool with_identity) {
  FoldedTagWriter w(kSignatureField);
  w.tag("v=1;");
  w.tag("a=" + std::string(to_string(s.algorithm)) + ";");
  w.tag("c=" + std::string(mail::to_string(s.header_canon)) + "/" + std::string(mail::to_string(s.body_canon)) + ";");
  w.tag("d=" + s.domain + ";");
  w.tag("s=" + s.selector + ";");
  if (with_identity) w.tag("i=" + encode_quoted_printable(s.identity) + ";");
  if (s.length) w.tag("l=" + std::to_string(*s.length) + ";");
  if (s.timestamp) w.tag("t=" + std::to_string(*s.timestamp) + ";");
  if (s.expiration) w.tag("x=" + std::to_string(*s.expiration) + ";");
  if (s.reports_requested) w.tag("r=y;");
  // h= folds between names.
  std::string h = "h=";
  for (std::size_t i = 0; i < s.headers.size(); ++i) {
    std::string item = std::string(i ? ":" : "") + s.headers[i];
    if (h.size() + item.size() > 60) {
      w.tag(h);
      h = item;
    } else {
      h += item;
    }
  }
  w.tag(h + ";");
  w.tag("bh=" + base64_encode(s.bh) + ";");
  w.base64("b", "");  // b= last, on its own line
  return w.take();
}

void append_folded_b(std::string& out, std::string_view raw_b) {
  std::size_t column = 3;  // after TAB "b="
  fold_base64(out, column, base64_encode(raw_b));
}

std::string format_signature(const Signature& s, bool with_identity) {
  std::string out = format_signature_head(s, with_identity);
  append_folded_b(out, s.b);
  return out;
}

}  // namespace domainauth::dkim
