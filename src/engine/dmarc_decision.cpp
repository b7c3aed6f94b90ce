// The DMARC enforcement decision (see dmarc_decision.hpp).
#include "engine/dmarc_decision.hpp"

#include <algorithm>

#include "text/ascii.hpp"

namespace domainauth::engine {
namespace {

// Exact, case-insensitive: OpenDMARC's IgnoreMailFrom matching (opendmarc.conf(5)); no subdomains.
bool listed(const std::vector<std::string>& domains, std::string_view domain) {
  return std::any_of(domains.begin(), domains.end(), [&](const std::string& d) { return text::iequals(d, domain); });
}

// "p=reject" or "sp=quarantine": the tag that gave the policy.
std::string policy_tag(const dmarc::Outcome& outcome) {
  return std::string(dmarc::to_string(outcome.policy_source)) + "=" + std::string(dmarc::to_string(outcome.policy));
}

// The reason a failing message is not enforced, or "" when it is.
std::string skip_reason(const config::DmarcSettings& settings, const dmarc::Outcome& outcome,
                        const DmarcClient& client) {
  if (!settings.enforce) return "report-only";
  if (auto reason = client_skip_reason(settings, client); !reason.empty()) return reason;
  if (listed(settings.exceptions, outcome.author_domain)) return "exception";
  return "";
}

}  // namespace

std::string client_skip_reason(const config::DmarcSettings& settings, const DmarcClient& client) {
  if (client.internal) return "internal-client";
  if (client.authenticated && settings.ignore_authenticated_clients) return "authenticated-client";
  return "";
}

bool ignored_authors(const config::DmarcSettings& settings, const std::vector<std::string>& domains) {
  return !domains.empty() && std::all_of(domains.begin(), domains.end(), [&settings](const std::string& d) {
    return listed(settings.ignore_mail_from, d);
  });
}

dmarc::Policy applied_disposition(const DmarcDecision& decision) {
  switch (decision.action) {
    case DmarcAction::reject: return dmarc::Policy::reject;
    case DmarcAction::quarantine:
    case DmarcAction::mark: return dmarc::Policy::quarantine;
    case DmarcAction::accept: break;
  }
  return dmarc::Policy::none;
}

std::string_view to_string(DmarcAction action) {
  switch (action) {
    case DmarcAction::accept: return "accept";
    case DmarcAction::reject: return "reject";
    case DmarcAction::quarantine: return "quarantine";
    case DmarcAction::mark: return "mark";
  }
  return "unknown";
}

DmarcDecision decide_dmarc(const config::DmarcSettings& settings, const dmarc::Outcome& outcome,
                           const DmarcClient& client) {
  DmarcDecision decision;
  // RFC 7489 6.6.1 / RFC 9989 4.4: no From, repeated From fields or a malformed
  // one leave no single policy to apply; such mail is "typically rejected", and
  // letting it through would let a forger of a p=reject domain add a second From.
  const bool malformed_from = outcome.from_handling == dmarc::FromHandling::reject;
  if (!malformed_from && (outcome.result != dmarc::Result::fail || outcome.disposition == dmarc::Policy::none)) {
    return decision;
  }
  decision.skipped = skip_reason(settings, outcome, client);
  if (!decision.skipped.empty()) return decision;
  if (malformed_from) {
    const auto why = outcome.reason.substr(0, outcome.reason.find(" (RFC"));
    if (!settings.never_reject) {
      decision.action = DmarcAction::reject;
      decision.reply = SmtpReply{550, "5.7.1",
                                 "Message rejected: " + why +
                                     "; DMARC needs exactly one well-formed From header field (RFC 7489 6.6.1)"};
      return decision;
    }
    decision.action = settings.quarantine_as_header ? DmarcAction::mark : DmarcAction::quarantine;
    decision.reason = "DMARC: " + why;
    return decision;
  }
  if (outcome.disposition == dmarc::Policy::reject && !settings.never_reject) {
    decision.action = DmarcAction::reject;
    const std::string text = !settings.reject_text.empty()
                                 ? settings.reject_text
                                 : "Message rejected: DMARC policy of " + outcome.author_domain + " (" +
                                       policy_tag(outcome) + ") and the message failed DMARC authentication";
    decision.reply = SmtpReply{550, "5.7.1", text};
    return decision;
  }
  // quarantine, or reject handled as quarantine (dmarc.never_reject)
  decision.action = settings.quarantine_as_header ? DmarcAction::mark : DmarcAction::quarantine;
  decision.reason = "DMARC " + policy_tag(outcome) + " of " + outcome.author_domain + ": failed";
  return decision;
}

}  // namespace domainauth::engine
