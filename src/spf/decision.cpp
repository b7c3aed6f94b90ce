// SPF result -> message verdict and SMTP reply (RFC 7208 8, RFC 7372 3).
// Reads outcomes whose explanation may come from DNS (an exp= record): the
// text is passed on as is; front ends escape it for their protocol.
#include "spf/decision.hpp"

namespace domainauth::spf {

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::accept: return "accept";
    case Verdict::reject: return "reject";
    case Verdict::defer: return "defer";
  }
  return "unknown";
}

std::optional<Verdict> parse_verdict(std::string_view text) {
  for (auto verdict : {Verdict::accept, Verdict::reject, Verdict::defer}) {
    if (text == to_string(verdict)) return verdict;
  }
  return std::nullopt;
}

Actions::Actions() {
  by_result_.fill(Verdict::accept);
  set(spf::Result::fail, Verdict::reject);
  set(spf::Result::temperror, Verdict::defer);
}

Verdict Actions::operator[](spf::Result result) const {
  return by_result_.at(static_cast<std::size_t>(result));
}

void Actions::set(spf::Result result, Verdict verdict) {
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

std::string smtp_reply(Verdict verdict, const spf::Outcome& outcome) {
  if (verdict == Verdict::defer) {
    // RFC 7208 8.6: 451 4.4.3 whatever made us defer.
    return "451 4.4.3 " + reply_text(outcome);
  }
  // RFC 7372 3.3: 5.7.24 for a permerror ("SPF validation error"); 3.2: 5.7.23 otherwise.
  const char* code = outcome.result == spf::Result::permerror ? "550 5.7.24 " : "550 5.7.23 ";
  return code + reply_text(outcome);
}

Decision decided(Verdict verdict, const spf::Outcome& outcome) {
  Decision decision;
  decision.verdict = verdict;
  decision.identity = outcome.identity;
  if (verdict != Verdict::accept) decision.smtp_reply = smtp_reply(verdict, outcome);
  return decision;
}

}  // namespace

Decision decide(const Policy& policy, const spf::Outcome* helo, const spf::Outcome& mail_from) {
  if (helo != nullptr) {
    const auto verdict = policy.helo[helo->result];
    if (verdict != Verdict::accept) return decided(verdict, *helo);
  }
  const auto verdict = policy.mail_from[mail_from.result];
  if (verdict != Verdict::accept) return decided(verdict, mail_from);
  if (helo != nullptr && mail_from.result == spf::Result::none && helo->result != spf::Result::none) {
    return decided(Verdict::accept, *helo);
  }
  return decided(Verdict::accept, mail_from);
}

}  // namespace domainauth::spf
