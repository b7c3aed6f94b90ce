// The DMARC part of check: the policy record found as RFC 9989 4.10 discovers
// it (the domain's own _dmarc record, else its Organizational Domain's), one
// record per name, its policy (p=none is monitoring only), rua= reporting and
// the authorization of an external report domain (RFC 7489 7.1), alignment
// modes, pct and t=y, and any tag the parser had to discard.
// Reads untrusted input: TXT answers.
#include "dmarc/dmarc.hpp"
#include "setup/check_parts.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup::detail {
namespace {

struct Found {
  std::string domain;
  std::string text;
  dmarc::Record record;
};

bool within(const std::string& name, const std::string& domain) {
  return name == domain || (name.size() > domain.size() && name.ends_with("." + domain));
}

asio::awaitable<void> check_rua(Context& c, const Found& found) {
  if (found.record.rua.empty()) {
    c.report.add("dmarc.rua", Severity::warning, "no rua=: nobody receives the aggregate reports",
                 "Add rua=mailto:dmarc-reports@" + c.options.domain + " to see who sends as your domain.");
    co_return;
  }
  std::vector<std::string> uris;
  for (const auto& uri : found.record.rua) uris.push_back(uri.uri);
  c.report.add("dmarc.rua", Severity::ok, "aggregate reports go to " + join_list(uris));
  for (const auto& uri : found.record.rua) {
    if (uri.mailbox.empty()) continue;
    const std::string report_domain = text::to_lower(uri.mailbox.substr(uri.mailbox.rfind('@') + 1));
    if (within(report_domain, found.domain) || within(found.domain, report_domain)) continue;
    // RFC 7489 7.1: an external destination must publish <domain>._report._dmarc.<destination>.
    const std::string name = found.domain + "._report._dmarc." + report_domain;
    dns::Answer answer = co_await c.lookup(name, dns::RecordType::txt);
    bool authorized = false;
    for (const auto& txt : answer.txt) authorized = authorized || dmarc::is_dmarc_record(txt);
    if (!authorized) {
      c.report.add("dmarc.rua_authorized", Severity::warning,
                   uri.uri + " is outside " + found.domain + " and " + name + " does not authorize it (RFC 7489 7.1)",
                   "Ask the owner of " + report_domain + " to publish \"v=DMARC1\" at " + name + ".", uri.uri);
    }
  }
}

void check_policy(Context& c, const Found& found) {
  const auto& r = found.record;
  const bool own = found.domain == text::to_lower(c.options.domain);
  const dmarc::PolicyTag& tag = own || !r.sp.present ? r.p : r.sp;
  if (!tag.value) {
    c.report.add("dmarc.policy", Severity::error, "the p= tag is missing or invalid",
                 "Start the record with \"v=DMARC1; p=none;\".");
    return;
  }
  const std::string policy(dmarc::to_string(*tag.value));
  if (*tag.value == dmarc::Policy::none) {
    c.report.add("dmarc.policy", Severity::warning,
                 "p=none: monitoring only, receivers are not asked to act on mail that fails (enough for the bulk "
                 "sender rules, not against spoofing)",
                 "Once the rua reports show only your own servers, move to p=quarantine, then p=reject.");
  } else {
    c.report.add("dmarc.policy", Severity::ok, "p=" + policy + ": failing mail is " +
                 (*tag.value == dmarc::Policy::reject ? "refused" : "sent to spam"));
  }
  // sp= applies to every subdomain, existing or not: sp=none under an enforcing
  // p= lets anyone send as any.name.<domain> unchallenged.
  if (own && r.sp.present && r.sp.value == dmarc::Policy::none && *tag.value != dmarc::Policy::none) {
    c.report.add("dmarc.subdomain_policy", Severity::warning,
                 "p=" + policy + " but sp=none: mail From any subdomain of " + found.domain +
                     " (real or made up) is not challenged, so subdomains stay open to spoofing",
                 "Remove sp=none (subdomains then inherit p=" + policy + ") or set sp=" + policy + ".");
  }
  if (r.adkim == dmarc::AlignmentMode::strict || r.aspf == dmarc::AlignmentMode::strict) {
    c.report.add("dmarc.alignment", Severity::info,
                 std::string("strict alignment (adkim=") + std::string(dmarc::to_string(r.adkim)).substr(0, 1) +
                     ", aspf=" + std::string(dmarc::to_string(r.aspf)).substr(0, 1) +
                     "): mail from subdomains must be signed and sent with exactly the From domain",
                 "Use relaxed alignment (the default) unless you mean to forbid subdomain identities.");
  } else {
    c.report.add("dmarc.alignment", Severity::ok, "relaxed alignment for DKIM and SPF");
  }
  if (r.pct < 100) {
    c.report.add("dmarc.pct", Severity::warning,
                 "pct=" + std::to_string(r.pct) + ": the policy applies to part of the failing mail only",
                 "Raise pct to 100 (RFC 9989 retires pct).");
  }
  if (r.testing) {
    c.report.add("dmarc.testing", Severity::warning, "t=y: receivers apply a policy one step lower",
                 "Remove t=y once the reports look right.");
  }
  for (const auto& problem : r.problems) {
    c.report.add("dmarc.tag", Severity::warning, problem.tag + "=" + problem.value + " discarded: " + problem.problem,
                 "Correct or remove " + problem.tag + "= so receivers read what you mean.", problem.tag);
  }
}

}  // namespace

asio::awaitable<void> check_dmarc(Context& c) {
  const std::string domain = text::to_lower(c.options.domain);
  std::vector<Found> found;
  for (const auto& name : dmarc::tree_walk_names(domain)) {
    const std::string query = "_dmarc." + name;
    dns::Answer answer = co_await c.lookup(query, dns::RecordType::txt);
    if (answer.transient()) {
      c.report.add("dmarc.present", Severity::error, "the TXT lookup of " + query + " failed: " +
                   std::string(dns::to_string(answer.status)),
                   "Check that the domain's name servers answer for " + query + ".");
      co_return;
    }
    std::vector<std::string> records;
    for (const auto& txt : answer.txt) {
      if (dmarc::is_dmarc_record(txt)) records.push_back(txt);
    }
    if (records.size() > 1) {
      c.report.add("dmarc.single", Severity::error,
                   std::to_string(records.size()) + " DMARC records at " + query + ": receivers ignore them all",
                   "Keep exactly one v=DMARC1 record at " + query + ".");
      co_return;
    }
    if (records.size() == 1) {
      auto parsed = dmarc::parse_record(records.front());
      if (parsed.record) found.push_back({name, records.front(), *parsed.record});
      if (name == domain || (parsed.record && parsed.record->psd != dmarc::PsdFlag::unknown)) break;
    }
  }
  if (found.empty()) {
    c.report.add("dmarc.present", Severity::error, "no DMARC record at _dmarc." + domain,
                 "Publish the TXT record \"v=DMARC1; p=none; rua=mailto:dmarc-reports@" + domain + "\" at _dmarc." +
                     domain + ".");
    co_return;
  }
  // The domain's own record, else the Organizational Domain's (RFC 9989 4.10.2).
  std::vector<dmarc::FoundRecord> walk;
  for (const auto& f : found) walk.push_back({f.domain, f.record});
  const std::string org = dmarc::select_organizational_domain(domain, walk);
  const Found* applied = &found.front();
  if (found.front().domain != domain) {
    for (const auto& f : found) {
      if (f.domain == org) applied = &f;
    }
  }
  c.dmarc_ok = true;
  c.dmarc = applied->record;
  c.dmarc_own = applied->domain == domain;
  c.report.add("dmarc.present", Severity::ok,
               "DMARC record at _dmarc." + applied->domain + ": \"" + applied->text + "\"" +
                   (applied->domain == domain ? "" : " (the Organizational Domain's record applies)"));
  check_policy(c, *applied);
  co_await check_rua(c, *applied);
}

}  // namespace domainauth::setup::detail
