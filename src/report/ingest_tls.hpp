// Reading a received SMTP TLS report (RFC 8460 4: JSON, as
// application/tlsrpt+json or, gzipped, application/tlsrpt+gzip; files .json,
// .json.gz): organization-name, date-range, contact-info, report-id, and per
// policy its policy-type, policy-string, policy-domain, mx-host, the summary's
// session counts and the failure-details (result-type, sending-mta-ip,
// receiving-mx-hostname, receiving-ip, failed-session-count,
// failure-reason-code). Bounded like the XML path: document size, nesting
// (checked before nlohmann::json sees the text), policies and failure details,
// session counts, string lengths, a date-range in the future or longer than a
// year: refused with the reason, nothing stored half. Bad UTF-8 is replaced
// (nlohmann::json refuses it) and noted; unknown members are ignored (RFC 8460
// 4.4 lets reports grow). Reads untrusted input: the document, from anyone
// who mails a report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/tls_reports.hpp"

namespace domainauth::report {

struct TlsLimits {
  std::size_t max_document = 16 * 1024 * 1024;   // octets of JSON
  std::size_t max_depth = 16;                     // array / object nesting (a report needs 5)
  std::size_t max_policies = 1000;
  std::size_t max_failures = 10000;               // failure-details in the whole report
  std::uint64_t max_sessions = 1'000'000'000'000;  // one count
  std::size_t max_string = 1000;                  // octets kept of one string
  std::int64_t max_future = 2 * 86400;            // date-range end after now
  std::int64_t max_span = 366 * 86400;            // end - start
};

struct ParsedTls {
  std::optional<store::TlsReport> report;
  std::string error;               // set when report is not
  std::vector<std::string> notes;  // what was recovered
};

// Whether text is a JSON document (after white space, "{"): a TLS report to
// try, rather than aggregate report XML.
[[nodiscard]] bool looks_like_json(std::string_view text);

[[nodiscard]] ParsedTls parse_tls(std::string_view json, std::int64_t now, const TlsLimits& limits = {});

}  // namespace domainauth::report
