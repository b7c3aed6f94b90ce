// Reading a received DMARC failure report: the RFC 5965 / RFC 6591
// message/feedback-report fields of an auth-failure report (Feedback-Type,
// Auth-Failure, Reported-Domain, Source-IP, Original-Mail-From,
// Original-Rcpt-To, Arrival-Date, Authentication-Results, DKIM-Domain /
// -Identity / -Selector, SPF-DNS, Identity-Alignment, Delivery-Result,
// Reporting-MTA) and, of the original message's header block, From, Subject,
// Message-ID and Date only. Real reporters are messy: field names in any case,
// folded lines, lines that are no field (skipped), bad UTF-8 (replaced), the
// third part missing, Arrival-Date in an obsolete form or absent. Refused with
// the reason: another Feedback-Type (abuse, fraud...), no Auth-Failure, no
// domain to file it under, an Arrival-Date far in the future. Every value is
// bounded (kMaxFieldValue), the number of fields too.
//
// Dedup key: SHA-256 of the reporter (Reporting-MTA, else the report mail's
// From domain), the original Message-ID, the Arrival-Date (as a time) and the
// Auth-Failure method when the first three are known: the same failure mailed
// twice (an alias retried, a maildir read again) or re-sent with other
// wording is one report, while a reporter that sends one report per failed
// method (DKIM and SPF of one message) keeps both. Without a Message-ID or an
// Arrival-Date nothing names the event, so the key is a hash of the report's
// content (its fields and the original's header block). Reads untrusted
// input: the report parts, from anyone who mails a report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/ingest_mail.hpp"
#include "store/failure_reports.hpp"

namespace domainauth::report {

inline constexpr std::size_t kMaxFieldValue = 1000;        // octets kept of one field value
inline constexpr std::size_t kMaxFeedbackFields = 200;     // fields read from either part
inline constexpr std::int64_t kMaxArrivalFuture = 2 * 86400;  // Arrival-Date after now

struct ParsedFailure {
  std::optional<store::FailureReport> report;
  std::string error;               // set when report is not
  std::vector<std::string> notes;  // what was recovered
};

[[nodiscard]] ParsedFailure parse_failure(const Feedback& feedback, std::int64_t now);

}  // namespace domainauth::report
