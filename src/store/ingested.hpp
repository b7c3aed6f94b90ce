// DMARC aggregate reports received from other domains' receivers (RFC 9990 /
// RFC 7489 appendix C), as `domainauth report ingest` stores them: one report
// once per reporter org and report id, its records in the same transaction.
// The parser (report/ingest_xml.hpp) has checked every value; the store writes
// them as bound text and reads them back for `report summary`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace domainauth::store {

// One <record>: a source address, its message count and results.
struct IngestedRecord {
  std::string source_ip;
  std::uint64_t count = 0;
  std::string disposition;  // policy_evaluated: none / quarantine / reject (RFC 9990 also pass)
  std::string dkim, spf;    // policy_evaluated: the aligned results, pass / fail
  std::string header_from, envelope_from;
  std::string dkim_auth;  // auth_results dkim, "domain=result" joined by ' ' (raw results, not aligned)
  std::string spf_auth;   // auth_results spf, the same form
  std::string reasons;    // policy_evaluated reason types joined by ' '
  friend bool operator==(const IngestedRecord&, const IngestedRecord&) = default;
};

struct IngestedReport {
  std::string org_name, email, report_id;
  std::int64_t begin = 0, end = 0;  // date_range, Unix seconds as written (end: the last second covered)
  std::string policy_domain;        // policy_published domain, lower case
  std::string p, sp;                // policy_published p and sp ("" when absent)
  int pct = 100;
  std::string format;  // "rfc9990" (namespace given) or "rfc7489"
  std::vector<IngestedRecord> records;
  friend bool operator==(const IngestedReport&, const IngestedReport&) = default;
};

// Stores report and its records in one transaction, unless a report with the
// same org_name and report_id is stored already (then nothing is written).
// nullopt with outcome set on success, else the database's error (nothing stored).
[[nodiscard]] std::optional<std::string> store_ingested(Database& db, const IngestedReport& report,
                                                        std::int64_t now, StoreOutcome& outcome);

// A record with its report's reporter, for summaries.
struct ReportedRecord {
  std::string reporter;  // org_name
  IngestedRecord record;
  std::int64_t begin = 0;  // the report's date_range begin
};
// The records of policy_domain's reports whose date range ends at or after
// since; ordered by source address.
[[nodiscard]] std::optional<std::string> ingested_records(Database& db, std::string_view policy_domain,
                                                          std::int64_t since, std::vector<ReportedRecord>& out);

// Counts n mails, files or documents report ingest refused on now's UTC day
// (one row per day, so hostile mail cannot grow the table), why the last.
[[nodiscard]] std::optional<std::string> record_refused(Database& db, std::int64_t now, std::uint64_t n,
                                                        std::string_view why);

// For /metrics: the aggregate, failure and TLS reports stored (never deleted
// by domainauth) and the refusals counted, all hosts'.
struct IngestCounts {
  std::uint64_t stored = 0, refused = 0, failures = 0, tls = 0;
};
[[nodiscard]] std::optional<std::string> ingest_counts(Database& db, IngestCounts& out);

// The domains reports were received for (aggregate and TLS reports' policy
// domains, failure reports' reported domains), sorted.
[[nodiscard]] std::optional<std::string> ingested_domains(Database& db, std::vector<std::string>& out);

}  // namespace domainauth::store
