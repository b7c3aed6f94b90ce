// The mail that carries one aggregate report (RFC 9990 3.5, RFC 7489 7.2.1.1):
// RFC 5322 header with the prescribed Subject ("Report Domain: <policy domain>
// Submitter: <generator domain> Report-ID: <id>"), a short text part and the
// gzipped report as an application/gzip attachment under its RFC 9990 3.1.3
// file name (RFC 2045/2046 MIME). Reads no untrusted input: the policy
// domain and report come from the history, already checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace domainauth::report {

struct AggregateMail {
  std::string from;                 // [report] email
  std::vector<std::string> to;      // the destinations' mailboxes
  std::string policy_domain;
  std::string submitter;            // a domain name of the report generator
  std::string report_id;            // as in report_metadata (dot-atom-text)
  std::string file_name;            // receiver!policy-domain!begin!end.xml.gz
  std::string gzipped;              // the report file
  std::int64_t begin = 0, end = 0;  // the period, end exclusive
  std::int64_t date = 0;            // Date: (Unix seconds)
  std::string host;                 // for the Message-ID
};

// The message, CRLF line ends, ready for submit().
[[nodiscard]] std::string aggregate_message(const AggregateMail& mail);

// The Subject field value (RFC 9990 3.5 dmarc-subject, folded as in its example).
[[nodiscard]] std::string aggregate_subject(const AggregateMail& mail);

}  // namespace domainauth::report
