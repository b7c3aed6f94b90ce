// TLS-RPT and BIMI record parsing (see receiving_records.hpp).
#include "setup/receiving_records.hpp"

#include "dkim/tag_list.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup {
namespace {

// "v=VERSION" first, then ";" or the end (RFC 8460 3 / BIMI 4.2).
bool starts_with_version(std::string_view txt, std::string_view version) {
  txt = text::trim_wsp(txt);
  const std::string head = "v=" + std::string(version);
  if (!txt.starts_with(head)) return false;
  txt = text::trim_wsp(txt.substr(head.size()));
  return txt.empty() || txt.front() == ';';
}

// The tag list, with v= first; error set otherwise.
dkim::TagList versioned_tags(std::string_view txt, std::string_view version, std::string& error) {
  dkim::TagList tags = dkim::parse_tag_list(txt);
  if (tags.ok() && (tags.tags.empty() || tags.tags.front().name != "v" || tags.tags.front().value != version)) {
    tags.error = "the record does not start with v=" + std::string(version);
  }
  error = tags.error;
  return tags;
}

bool is_mailto(std::string_view uri, std::string& why) {
  const std::string_view address = uri.substr(7);
  const std::size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size()) {
    why = "\"" + std::string(uri.substr(0, 80)) + "\" has no mailbox@domain";
    return false;
  }
  return true;
}

}  // namespace

bool is_https_url(std::string_view url, std::string& why) {
  if (!url.starts_with("https://")) {
    why = "\"" + std::string(url.substr(0, 80)) + "\" is not an https:// URL";
    return false;
  }
  const std::string_view rest = url.substr(8);
  const std::size_t end = rest.find_first_of("/?#");
  const std::string_view host = rest.substr(0, end);
  if (host.empty() || host.find('@') != std::string_view::npos) {
    why = "\"" + std::string(url.substr(0, 80)) + "\" has no host";
    return false;
  }
  for (char c : url) {
    if (c <= ' ' || c >= 0x7F) {
      why = "\"" + std::string(url.substr(0, 80)) + "\" holds a space or a non-ASCII octet";
      return false;
    }
  }
  return true;
}

bool is_tls_rpt_record(std::string_view txt) { return starts_with_version(txt, "TLSRPTv1"); }

TlsRptRecord parse_tls_rpt_record(std::string_view txt) {
  TlsRptRecord out;
  const dkim::TagList tags = versioned_tags(txt, "TLSRPTv1", out.error);
  if (!tags.ok()) return out;
  auto rua = tags.find("rua");
  if (!rua || text::trim_fws(*rua).empty()) {
    out.error = "no rua= field";
    return out;
  }
  for (const auto& uri : dkim::split_list(*rua, ',')) {
    if (out.rua.size() >= kMaxReportUris) {
      out.error = "more than " + std::to_string(kMaxReportUris) + " rua= destinations";
      return out;
    }
    // RFC 8460 3: tlsrpt-uri is mailto: (RFC 6068) or https: (RFC 2818).
    if (text::to_lower(uri.substr(0, 7)) == "mailto:") {
      if (!is_mailto(uri, out.error)) return out;
    } else if (!is_https_url(uri, out.error)) {
      out.error = "rua= " + out.error + " (mailto: or https: only)";
      return out;
    }
    out.rua.push_back(uri);
  }
  return out;
}

bool is_bimi_record(std::string_view txt) { return starts_with_version(txt, "BIMI1"); }

BimiRecord parse_bimi_record(std::string_view txt) {
  BimiRecord out;
  const dkim::TagList tags = versioned_tags(txt, "BIMI1", out.error);
  if (!tags.ok()) return out;
  if (auto l = tags.find("l")) out.logo = dkim::strip_fws(*l);
  if (auto a = tags.find("a")) out.evidence = dkim::strip_fws(*a);
  std::string why;
  if (!out.logo.empty() && !is_https_url(out.logo, why)) out.error = "l= " + why;
  else if (!out.evidence.empty() && !is_https_url(out.evidence, why)) out.error = "a= " + why;
  return out;
}

}  // namespace domainauth::setup
