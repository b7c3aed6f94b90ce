// Authentication failure reports (the AFRF format of RFC 6591 on RFC 5965 ARF,
// redaction per RFC 6590) of two kinds: DMARC failure reports (RFC 9991), which
// a message calls for given the fo= tag of the policy record (RFC 9989 4.7), and
// DKIM failure reports (RFC 6651), which a signature with r=y asks for; the text
// of each report as a multipart/report; report-type=feedback-report message. Pure: no I/O; the
// caller gives dates, Message-ID and boundary, and sends the result. Reads
// untrusted input: the reported message's header fields and body and the
// identifiers taken from it (copied into the report, local-parts replaced when
// redacting; every generated field value is stripped of CR and LF).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/report_record.hpp"
#include "dmarc/dmarc.hpp"
#include "mail/header.hpp"
#include "spf/spf.hpp"

namespace domainauth::report {

// RFC 6591 3.3 / RFC 9991 4 item 3: the Auth-Failure field.
enum class AuthFailure : std::uint8_t { dmarc, signature, spf, bodyhash, revoked };
[[nodiscard]] std::string_view to_string(AuthFailure failure);

// RFC 6591 3.2.2: what the receiver did with the message.
enum class DeliveryResult : std::uint8_t { delivered, spam, policy, reject, other };
[[nodiscard]] std::string_view to_string(DeliveryResult result);

// A body larger than this is not copied into a report (headers only).
inline constexpr std::size_t kMaxReportedBody = 256 * 1024;

struct ReportedSignature {
  bool failed = false;  // dkim=fail: the signature did not verify
  std::string domain;   // d=
  std::string identity; // i=
  std::string selector; // s=
  std::string authres;  // its single-method Authentication-Results value ("id; dkim=fail header.d=...")
  bool reports_requested = false;                 // r=y (RFC 6651 3.1)
  dkim::Failure failure = dkim::Failure::none;    // why it failed (RFC 6651 rr=), none when it did not
};

// What the receiver knew of one verified message.
struct ReportedMessage {
  dmarc::Outcome outcome;        // with the record (ruf, fo) and the alignment of each identifier; empty
                                 // (no record) when DMARC was not evaluated
  std::string dmarc_authres;     // "id; dmarc=fail header.from=..." (one method, RFC 6591 3.1)
  bool spf_failed = false;       // SPF fail
  std::string spf_authres;       // "id; spf=fail smtp.mailfrom=..."; empty when SPF was not checked
  std::vector<spf::RecordUsed> spf_records;  // the SPF records behind the result (SPF-DNS)
  std::vector<ReportedSignature> dkim;
  std::string queue_id;          // Original-Envelope-Id (the MTA's queue id); empty when unknown
  std::string mail_from;         // envelope sender, without <>
  std::string source_ip;         // empty when unknown
  std::vector<mail::HeaderField> headers;
  std::optional<std::string> body;  // kept only with failure_reports.include_body and when <= kMaxReportedBody
  DeliveryResult delivery = DeliveryResult::delivered;
};

// One report a message calls for; signature indexes ReportedMessage::dkim.
// by_signer: an RFC 6651 report the signature asked for (to <ra>@<d>), not a
// DMARC one (to the ruf= of the From domain's record).
struct Trigger {
  AuthFailure type = AuthFailure::dmarc;
  std::size_t signature = 0;
  bool by_signer = false;
  friend bool operator==(const Trigger&, const Trigger&) = default;
};

// RFC 9989 4.7 fo= (RFC 9991 2: never for psd=y records). Without ruf= there is
// nothing to report, unless copies: the operator's own copy of every failure
// report (failure_reports.bcc, as OpenDMARC's FailureReportsBcc, which gets one
// whether or not the domain asked for reports):
//   0  one dmarc report when no mechanism produced an aligned pass;
//   1  one dmarc report when any mechanism (SPF, DKIM) failed to produce an aligned pass;
//   d  one signature report per DKIM signature that failed (dkim=fail), aligned or not;
//   s  one spf report when SPF failed (spf=fail), aligned or not.
// 0 and 1 may both be given (the parser keeps both); the dmarc report is sent once.
[[nodiscard]] std::vector<Trigger> failure_triggers(const ReportedMessage& message, bool copies = false);

// RFC 6651 3.1: one report per signature with r=y whose d= is a domain name
// that failed for a reported reason (dkim::Failure, not none): Auth-Failure bodyhash, revoked or signature
// (RFC 6591 3.1). Whether the domain's reporting record asks for that failure
// (rr=, rp=) is the sender's to check after looking the record up.
[[nodiscard]] std::vector<Trigger> signer_triggers(const ReportedMessage& message);

// The domain a report is about: the author domain (DMARC), d= (RFC 6651).
[[nodiscard]] std::string reported_domain(const ReportedMessage& message, const Trigger& trigger);

// RFC 9991 4 item 2: "dkim", "spf", "dkim, spf" -- the mechanisms that failed to
// authenticate an aligned identity -- or "none".
[[nodiscard]] std::string identity_alignment(const dmarc::Outcome& outcome);

// RFC 6590 redaction: every local-part of an address in a text is replaced by a
// keyed hash of it (HMAC-SHA-256 under a secret key, 16 hex digits), so the same
// address gives the same token within the reports of one key, but cannot be
// recovered from it. Quoted local-parts are replaced whole.
class Redactor {
 public:
  explicit Redactor(std::string key) : key_(std::move(key)) {}
  [[nodiscard]] std::string token(std::string_view local_part) const;
  [[nodiscard]] std::string text(std::string_view text) const;

 private:
  std::string key_;
};

// How the report is written.
struct Composition {
  std::string from;              // From: (failure_reports.sent_by)
  std::vector<std::string> to;   // To: the ruf mailboxes, or <ra>@<d>
  std::string date;              // RFC 5322 date-time of now
  std::string arrival_date;      // RFC 5322 date-time the message arrived
  std::string message_id;        // "<...>"
  std::string boundary;          // MIME boundary (not found in the content)
  std::string user_agent;        // "domainauth/1.0"
  const Redactor* redactor = nullptr;  // set: redact (and never include the body)
};

// The whole report message, CRLF line ends: human-readable part,
// message/feedback-report part, and the original header block as
// text/rfc822-headers (message/rfc822 with the body when the message carries
// one and the report is not redacted).
[[nodiscard]] std::string failure_report(const ReportedMessage& message, const Trigger& trigger,
                                         const Composition& composition);

}  // namespace domainauth::report
