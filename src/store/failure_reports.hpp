// DMARC failure reports received from other receivers (RFC 6591 auth-failure
// reports, RFC 9991), as `domainauth report ingest` stores them (schema
// version 5): one row per report, once per dedup key. The parser
// (report/ingest_failure.hpp) has bounded and repaired every value; only the
// original message's From, Subject, Message-ID and Date are kept, never its body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace domainauth::store {

struct FailureReport {
  std::string key;       // dedup key (report/ingest_failure.hpp says how it is made)
  std::string reporter;  // Reporting-MTA name, else the report mail's From domain
  std::string reported_domain;  // lower case
  std::int64_t time = 0;        // Arrival-Date, else when it was ingested
  std::string arrival_date;     // Arrival-Date as written ("" when absent)
  std::string auth_failure;     // dmarc, dkim, spf, bodyhash, revoked, signature...
  std::string source_ip;        // "" when absent or not an address
  std::string original_mail_from, original_rcpt_to;
  std::string authentication_results;
  std::string dkim_domain, dkim_identity, dkim_selector;
  std::string spf_dns, identity_alignment, delivery_result, reporting_mta;
  // From the original message's header block (the report's third part).
  std::string header_from, subject, message_id, date;
  friend bool operator==(const FailureReport&, const FailureReport&) = default;
};

// Stores report unless one with the same key is stored already. nullopt with
// outcome set on success, else the database's error (nothing stored).
[[nodiscard]] std::optional<std::string> store_failure_report(Database& db, const FailureReport& report,
                                                              std::int64_t now, StoreOutcome& outcome);

// At most limit reports for reported_domain with time at or after since, newest first.
[[nodiscard]] std::optional<std::string> failure_reports(Database& db, std::string_view reported_domain,
                                                         std::int64_t since, std::size_t limit,
                                                         std::vector<FailureReport>& out);

// How many reports for reported_domain have time at or after since.
[[nodiscard]] std::optional<std::string> count_failure_reports(Database& db, std::string_view reported_domain,
                                                               std::int64_t since, std::uint64_t& out);

}  // namespace domainauth::store
