// What the aggregate reports received for one domain say (`report summary`):
// per source address its messages, the aligned SPF / DKIM and DMARC results
// and the dispositions the receivers applied, each source judged as passing,
// as one of the domain's own servers that fails (a raw SPF pass for the
// domain, a PTR name in the domain, or DMARC passes from the same address) or
// as a stranger (most likely a forger), and whether p=quarantine or p=reject
// would now block legitimate mail (RFC 7489 6.6.4 / RFC 9989: what the
// policy does to failing mail). Every count is a sum of report <count>s.
// Reads stored report records, values from other parties' reports.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"
#include "store/ingested.hpp"

namespace domainauth::report {

struct PassFail {
  std::uint64_t pass = 0, fail = 0;
};

enum class SourceKind : std::uint8_t { passing, own_failing, stranger };
[[nodiscard]] std::string_view to_string(SourceKind kind);

struct SourceSummary {
  std::string ip;
  std::string ptr;                     // the first PTR name, "" when none is known
  std::vector<std::string> reporters;  // org_names, sorted
  std::uint64_t messages = 0;
  PassFail spf, dkim, dmarc;  // policy_evaluated: aligned results; DMARC passes when either passes
  std::uint64_t raw_spf_pass = 0;  // messages whose auth_results SPF passed for the domain or a subdomain
  std::map<std::string, std::uint64_t> disposition;  // applied: none / quarantine / reject / pass
  SourceKind kind = SourceKind::passing;
  std::string why;  // the evidence for kind
};

struct Readiness {
  std::uint64_t legitimate_failing = 0;  // DMARC-failing messages from the domain's own servers
  std::uint64_t stranger_failing = 0;    // DMARC-failing messages from other sources
  std::uint64_t dkim_unsigned_own = 0;   // own servers' messages that pass by SPF alone (break when forwarded)
  bool quarantine_safe = false;          // p=quarantine blocks no legitimate mail seen
  bool reject_safe = false;              // the same for p=reject, and DKIM on all own mail
  std::string advice;
};

struct Summary {
  std::string domain;
  std::uint64_t messages = 0;
  PassFail dmarc;
  std::vector<SourceSummary> sources;  // most messages first
  Readiness readiness;
  std::uint64_t failure_reports = 0;  // failure reports received for the domain in the period (set by the reader)
};

// The period a summary covers: the reports whose date range ends at or after
// the first second of the UTC day days before today (now's day), days at most kMaxDays.
inline constexpr int kMaxDays = 3660;
[[nodiscard]] std::int64_t period_start(std::int64_t now, int days);

// The sources of the records (domain: the policy domain they were reported for).
[[nodiscard]] Summary summarize(std::string_view domain, std::span<const store::ReportedRecord> records);

// Judges each source (ptr names filled in or not) and the domain's readiness.
void judge(Summary& summary);

// The PTR lookups are bounded: the kMaxPtrLookups sources with the most messages.
inline constexpr std::size_t kMaxPtrLookups = 100;
// Asks resolver for the first PTR name of each of those sources (a source
// without an answer keeps ""); done runs, on the resolver's executor, once
// every answer is in (each bounded by the resolver's timeout), at once when
// there is nothing to ask. summary must live until then.
void lookup_ptrs(dns::Resolver& resolver, Summary& summary, std::function<void()> done);

// Messages over time: per UTC day of the report's date range begin, the sums
// of the records' counts that passed and failed DMARC (as summarize counts).
struct Day {
  std::int64_t day = 0;  // the day's first second
  PassFail dmarc;
};
[[nodiscard]] std::vector<Day> timeline(std::span<const store::ReportedRecord> records);

}  // namespace domainauth::report
