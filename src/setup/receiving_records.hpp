// The TXT records of the receiving-side standards check reads besides MTA-STS:
// TLS-RPT (RFC 8460 3, at _smtp._tls.DOMAIN) and BIMI (draft-brand-indicators-
// for-message-identification 4.2, at default._bimi.DOMAIN). Pure parsers; read
// untrusted input: DNS TXT records.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::setup {

inline constexpr std::size_t kMaxReportUris = 20;  // rua= destinations read; more is an error

// RFC 8460 3: "v=TLSRPTv1; rua=URI[,URI...]", each URI mailto: or https:.
struct TlsRptRecord {
  std::vector<std::string> rua;
  std::string error;  // empty when valid
};
[[nodiscard]] bool is_tls_rpt_record(std::string_view txt);  // starts with "v=TLSRPTv1"
[[nodiscard]] TlsRptRecord parse_tls_rpt_record(std::string_view txt);

// BIMI: "v=BIMI1; l=<https URL of the SVG logo>; a=<https URL of the evidence
// document (VMC / CMC)>". Both may be empty: an explicit declination.
struct BimiRecord {
  std::string logo;      // l=, empty when absent or empty
  std::string evidence;  // a=, empty when absent or empty
  std::string error;     // empty when valid
};
[[nodiscard]] bool is_bimi_record(std::string_view txt);  // starts with "v=BIMI1"
[[nodiscard]] BimiRecord parse_bimi_record(std::string_view txt);

// An https: URL with a host: "https://host[:port]/path". False, with why set, otherwise.
[[nodiscard]] bool is_https_url(std::string_view url, std::string& why);

}  // namespace domainauth::setup
