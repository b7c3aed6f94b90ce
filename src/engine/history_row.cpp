// The history row of a verified message (see history_row.hpp).
#include "engine/history_row.hpp"

#include "mail/lexical.hpp"

namespace domainauth::engine {
namespace {

std::string policy_text(const dmarc::PolicyTag& tag) {
  return tag.value ? std::string(dmarc::to_string(*tag.value)) : std::string();
}

std::string alignment_text(dmarc::AlignmentMode mode) { return mode == dmarc::AlignmentMode::strict ? "s" : "r"; }

// fo= in effect in its published form (RFC 7489 6.3): the options joined by ':'.
std::string failure_options_text(const dmarc::FailureOptions& fo) {
  std::string out;
  for (const auto& [set, name] : {std::pair{fo.all_fail, "0"}, {fo.any_fail, "1"}, {fo.dkim, "d"}, {fo.spf, "s"}}) {
    if (set) out += (out.empty() ? "" : ":") + std::string(name);
  }
  return out;
}

}  // namespace

std::optional<store::Row> history_row(const Results& results, const Client& client, std::int64_t time,
                                      dmarc::Policy applied) {
  if (!results.dmarc || !results.dmarc->record || results.dmarc->policy_domain.empty()) return std::nullopt;
  const auto& outcome = *results.dmarc;
  const auto& record = *outcome.record;
  store::Row row;
  row.time = time;
  row.source_ip = client.ip ? client.ip->to_string() : "";
  row.header_from = outcome.author_domain;
  row.envelope_from = mail::address_domain(results.mail_from);
  if (results.spf) {
    row.spf_result = std::string(spf::to_string(results.spf->result));
    row.spf_domain = results.spf->domain;
  } else {
    row.spf_result = "none";
  }
  row.spf_aligned = outcome.spf.aligned;
  for (std::size_t i = 0; i < results.dkim.size(); ++i) {
    const auto& d = results.dkim[i];
    const bool aligned = i < outcome.dkim.size() && outcome.dkim[i].aligned;
    row.dkim.push_back({std::string(dkim::to_string(d.result)), d.domain, d.selector, aligned});
  }
  row.policy_domain = outcome.policy_domain;
  row.policy = {policy_text(record.p), policy_text(record.sp), policy_text(record.np), record.pct,
                alignment_text(record.adkim), alignment_text(record.aspf), record.testing,
                failure_options_text(record.fo)};
  row.disposition = std::string(dmarc::to_string(applied));
  row.result = std::string(dmarc::to_string(outcome.result));
  return row;
}

}  // namespace domainauth::engine
