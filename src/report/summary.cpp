// Summing received report records per source and judging them (see summary.hpp).
#include "report/summary.hpp"

#include <algorithm>

#include "net/address.hpp"
#include "store/history.hpp"
#include "text/ascii.hpp"

namespace domainauth::report {
namespace {

bool in_domain(std::string_view name, std::string_view domain) {
  return text::iequals(name, domain) ||
         (name.size() > domain.size() && name[name.size() - domain.size() - 1] == '.' &&
          text::iequals(name.substr(name.size() - domain.size()), domain));
}

// Whether "d1=pass d2=fail" holds a pass for domain or one of its subdomains.
bool raw_pass(std::string_view results, std::string_view domain) {
  while (!results.empty()) {
    const auto space = results.find(' ');
    const auto item = results.substr(0, space);
    const auto eq = item.rfind('=');
    if (eq != std::string_view::npos && item.substr(eq + 1) == "pass" && in_domain(item.substr(0, eq), domain)) {
      return true;
    }
    results = space == std::string_view::npos ? std::string_view() : results.substr(space + 1);
  }
  return false;
}

void count(PassFail& pf, bool pass, std::uint64_t n) { (pass ? pf.pass : pf.fail) += n; }

// DMARC passes when an aligned SPF or DKIM result passed (policy_evaluated).
bool dmarc_pass(const store::IngestedRecord& r) { return r.spf == "pass" || r.dkim == "pass"; }

void judge_source(SourceSummary& s, std::string_view domain) {
  if (s.dmarc.fail == 0) {
    s.kind = SourceKind::passing;
    s.why = "every message passed DMARC";
    return;
  }
  std::vector<std::string> evidence;
  if (s.raw_spf_pass > 0) evidence.push_back("SPF passed for " + std::string(domain) + " (" + std::to_string(s.raw_spf_pass) + " messages)");
  if (!s.ptr.empty() && in_domain(s.ptr, domain)) evidence.push_back("its PTR " + s.ptr + " is in " + std::string(domain));
  if (s.dmarc.pass > 0) evidence.push_back(std::to_string(s.dmarc.pass) + " of its messages passed DMARC");
  if (evidence.empty()) {
    s.kind = SourceKind::stranger;
    s.why = "no SPF or DKIM pass for " + std::string(domain) + " and no PTR in it: a forger, or a service not set up";
    return;
  }
  s.kind = SourceKind::own_failing;
  s.why = "looks like the domain's own server: ";
  for (std::size_t i = 0; i < evidence.size(); ++i) s.why += (i ? "; " : "") + evidence[i];
}

std::string advice(const Summary& s) {
  const auto& r = s.readiness;
  if (s.messages == 0) return "no reports for " + s.domain + " in this period: nothing to judge yet";
  if (r.legitimate_failing > 0) {
    return "not ready: p=quarantine or p=reject would now block " + std::to_string(r.legitimate_failing) +
           " messages from the domain's own servers; fix SPF and DKIM for the sources marked own_failing first";
  }
  if (r.dkim_unsigned_own > 0) {
    return "p=quarantine is safe; before p=reject sign with DKIM everywhere: " + std::to_string(r.dkim_unsigned_own) +
           " messages passed by SPF alone and fail once forwarded";
  }
  return "ready: p=quarantine and p=reject would block only the " + std::to_string(r.stranger_failing) +
         " messages from sources that are not the domain's";
}

}  // namespace

std::string_view to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::passing: return "pass";
    case SourceKind::own_failing: return "own_failing";
    case SourceKind::stranger: return "stranger";
  }
  return "stranger";
}

std::int64_t period_start(std::int64_t now, int days) {
  return store::reporting_window(now).first - std::int64_t{days} * store::kReportInterval;
}

Summary summarize(std::string_view domain, std::span<const store::ReportedRecord> records) {
  Summary out;
  out.domain = text::to_lower(domain);
  std::map<std::string, SourceSummary> by_ip;
  for (const auto& [reporter, r, begin] : records) {
    auto& s = by_ip[r.source_ip];
    s.ip = r.source_ip;
    if (std::find(s.reporters.begin(), s.reporters.end(), reporter) == s.reporters.end()) s.reporters.push_back(reporter);
    s.messages += r.count;
    count(s.spf, r.spf == "pass", r.count);
    count(s.dkim, r.dkim == "pass", r.count);
    count(s.dmarc, dmarc_pass(r), r.count);
    if (raw_pass(r.spf_auth, out.domain)) s.raw_spf_pass += r.count;
    s.disposition[r.disposition] += r.count;
  }
  for (auto& [ip, s] : by_ip) {
    std::sort(s.reporters.begin(), s.reporters.end());
    out.messages += s.messages;
    out.dmarc.pass += s.dmarc.pass;
    out.dmarc.fail += s.dmarc.fail;
    out.sources.push_back(std::move(s));
  }
  std::stable_sort(out.sources.begin(), out.sources.end(),
                   [](const auto& a, const auto& b) { return a.messages > b.messages; });
  return out;
}

void judge(Summary& summary) {
  auto& r = summary.readiness;
  r = {};
  for (auto& s : summary.sources) {
    judge_source(s, summary.domain);
    if (s.kind == SourceKind::own_failing) r.legitimate_failing += s.dmarc.fail;
    if (s.kind == SourceKind::stranger) r.stranger_failing += s.dmarc.fail;
    // Own mail that passed by SPF only: aligned SPF passes minus what DKIM also passed, at least.
    if (s.kind != SourceKind::stranger && s.dkim.fail > 0) r.dkim_unsigned_own += std::min(s.dkim.fail, s.spf.pass);
  }
  r.quarantine_safe = summary.messages > 0 && r.legitimate_failing == 0;
  r.reject_safe = r.quarantine_safe && r.dkim_unsigned_own == 0;
  r.advice = advice(summary);
}

void lookup_ptrs(dns::Resolver& resolver, Summary& summary, std::function<void()> done) {
  auto pending = std::make_shared<std::size_t>(1);  // one held until every query is sent
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  const auto answered = [pending, finish] {
    if (--*pending == 0) (*finish)();
  };
  for (std::size_t i = 0; i < summary.sources.size() && i < kMaxPtrLookups; ++i) {
    const auto ip = net::IpAddress::parse(summary.sources[i].ip);
    if (!ip) continue;
    ++*pending;
    resolver.query(ip->reverse_name(), dns::RecordType::ptr, [&summary, answered, i](dns::Answer answer) {
      if (answer.found() && !answer.names.empty()) summary.sources[i].ptr = answer.names.front();
      answered();
    });
  }
  answered();
}

std::vector<Day> timeline(std::span<const store::ReportedRecord> records) {
  std::map<std::int64_t, PassFail> days;
  for (const auto& [reporter, r, begin] : records) {
    count(days[begin - begin % store::kReportInterval], dmarc_pass(r), r.count);
  }
  std::vector<Day> out;
  for (const auto& [day, pf] : days) out.push_back({day, pf});
  return out;
}

}  // namespace domainauth::report
