// SPF result -> message verdict and SMTP reply (RFC 7208 8, RFC 7372 3).
// Reads outcomes whose explanation may come from DNS (an exp= record): the
// text is passed on as is; front ends escape it for their protocol.
#include "engine/spf_decision.hpp"

namespace domainauth::engine {

std::string_view to_string(SpfVerdict verdict) {
  switch (verdict) {
    case SpfVerdict::accept: return "accept";
    case SpfVerdict::reject: return "reject";
    case SpfVerdict::defer: return "defer";
  }
  return "unknown";
}

std::optional<SpfVerdict> parse_spf_verdict(std::string_view text) {
  for (auto verdict : {SpfVerdict::accept, SpfVerdict::reject, SpfVerdict::defer}) {
    if (text == to_string(verdict)) return verdict;
  }
  return std::nullopt;
}

SpfActions::SpfActions() {
  by_result_.fill(SpfVerdict::accept);
  set(spf::Result::fail, SpfVerdict::reject);
  set(spf::Result::temperror, SpfVerdict::defer);
}

SpfVerdict SpfActions::operator[](spf::Result result) const {
  return by_result_.at(static_cast<std::size_t>(result));
}

void SpfActions::set(spf::Result result, SpfVerdict verdict) {
  by_result_.at(static_cast<std::size_t>(result)) = verdict;
}

namespace {

std::string reply_text(const spf::Outcome& outcome) {
  // RFC 7208 8.4: a fail SHOULD carry the explanation; other results carry the reason.
  std::string why = !outcome.explanation.empty() ? outcome.explanation : outcome.reason;
  if (why.empty()) {
    why = "SPF " + std::string(spf::to_string(outcome.result)) + " for " + outcome.domain;
  }
  return why;
}

std::string smtp_reply(SpfVerdict verdict, const spf::Outcome& outcome) {
  if (verdict == SpfVerdict::defer) {
    // RFC 7208 8.6: 451 4.4.3 whatever made us defer.
    return "451 4.4.3 " + reply_text(outcome);
  }
  // RFC 7372 3.3: 5.7.24 for a permerror ("SPF validation error"); 3.2: 5.7.23 otherwise.
  const char* code = outcome.result == spf::Result::permerror ? "550 5.7.24 " : "550 5.7.23 ";
  return code + reply_text(outcome);
}

SpfDecision decided(SpfVerdict verdict, const spf::Outcome& outcome) {
  SpfDecision decision;
  decision.verdict = verdict;
  decision.identity = outcome.identity;
  if (verdict != SpfVerdict::accept) decision.smtp_reply = smtp_reply(verdict, outcome);
  return decision;
}

}  // namespace

SpfDecision decide_spf(const SpfPolicy& policy, const spf::Outcome* helo, const spf::Outcome& mail_from) {
  if (helo != nullptr) {
    const auto verdict = policy.helo[helo->result];
    if (verdict != SpfVerdict::accept) return decided(verdict, *helo);
  }
  const auto verdict = policy.mail_from[mail_from.result];
  if (verdict != SpfVerdict::accept) return decided(verdict, mail_from);
  if (helo != nullptr && mail_from.result == spf::Result::none && helo->result != spf::Result::none) {
    return decided(SpfVerdict::accept, *helo);
  }
  return decided(SpfVerdict::accept, mail_from);
}

}  // namespace domainauth::engine
