// What the milter does with a message given its DMARC outcome: the one place
// that turns a dmarc::Outcome disposition (RFC 7489 6.6.4 / 6.7, RFC 9989 5.5),
// or a From that DMARC cannot work with (none, repeated, malformed: RFC 7489
// 6.6.1), into reject / quarantine / accept, after the local overrides of [dmarc]
// (enforce, never_reject, quarantine_as_header, exceptions) and the skips
// (internal and authenticated clients); ignore_mail_from keeps DMARC from
// being evaluated at all. exceptions and ignore_mail_from name From domains
// matched exactly (case-insensitive, no
// subdomains), as OpenDMARC's IgnoreMailFrom is documented (opendmarc.conf(5):
// "based on the From: domain"). Pure: no I/O, no DNS.
// A DMARC temperror is not decided here: milter.on_dns_error answers it first.
// Reads untrusted input: the From and envelope domains (they only reach the
// reply text through the SMTP reply formatter, which refuses line breaks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dmarc/dmarc.hpp"
#include "engine/pipeline.hpp"

namespace domainauth::engine {

enum class DmarcAction : std::uint8_t {
  accept,      // as the MTA would
  reject,      // 550 5.7.1
  quarantine,  // the milter quarantine (Postfix: hold queue)
  mark,        // accepted with the X-DMARC-Quarantine header field
};
[[nodiscard]] std::string_view to_string(DmarcAction action);

// The header field of dmarc.quarantine_as_header.
inline constexpr std::string_view kQuarantineField = "X-DMARC-Quarantine";

struct DmarcClient {
  bool internal = false;       // in sign.internal_hosts
  bool authenticated = false;  // SASL login
};

struct DmarcDecision {
  DmarcAction action = DmarcAction::accept;
  std::string skipped;     // why a failing message was not enforced ("report-only", "exception", ...)
  SmtpReply reply;         // reject: the 550 5.7.1 reply
  std::string reason;      // quarantine: the reason; mark: the header field value
};

// Why DMARC is not acted on for mail of this client (neither enforced nor
// failure-reported): "internal-client", "authenticated-client"
// (dmarc.ignore_authenticated_clients); "" when it is.
[[nodiscard]] std::string client_skip_reason(const config::DmarcSettings& settings, const DmarcClient& client);

// dmarc.ignore_mail_from (OpenDMARC IgnoreMailFrom): every author domain is
// listed, so the message is not evaluated at all -- no dmarc= result, no
// history row, no report, no enforcement, as OpenDMARC accepts such mail before
// evaluating it.
[[nodiscard]] bool ignored_authors(const config::DmarcSettings& settings, const std::vector<std::string>& domains);

[[nodiscard]] DmarcDecision decide_dmarc(const config::DmarcSettings& settings, const dmarc::Outcome& outcome,
                                         const DmarcClient& client);

// The disposition the decision applied (RFC 9990 policy_evaluated
// disposition): reject, quarantine (the milter quarantine or the header mark),
// or none (accepted, also when a local override or a skip kept it).
[[nodiscard]] dmarc::Policy applied_disposition(const DmarcDecision& decision);

}  // namespace domainauth::engine
