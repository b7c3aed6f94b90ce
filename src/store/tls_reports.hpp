// SMTP TLS reports received (RFC 8460 4), as `domainauth report ingest`
// stores them (schema version 6): a report once per organization and report
// id, its policies and failure details in the same transaction; and the
// per-organization sums the dashboard's TLS panel shows. The parser
// (report/ingest_tls.hpp) has bounded every value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace domainauth::store {

// RFC 8460 4.3 failure-details: one result type seen between two hosts.
struct TlsFailure {
  std::string result_type;  // "certificate-expired", "starttls-not-supported", ...
  std::string sending_mta_ip, receiving_mx_hostname, receiving_ip;
  std::uint64_t sessions = 0;  // failed-session-count
  std::string reason;          // failure-reason-code
  friend bool operator==(const TlsFailure&, const TlsFailure&) = default;
};

// RFC 8460 4.4 policies[]: one policy the sender applied and its session counts.
struct TlsPolicy {
  std::string policy_type;    // "sts", "tlsa", "no-policy-found"
  std::string policy_string;  // the policy-string lines joined by '\n'
  std::string policy_domain;  // lower case
  std::string mx_host;        // mx-host entries joined by ' '
  std::uint64_t successful = 0, failed = 0;  // total-successful-session-count, total-failure-session-count
  std::vector<TlsFailure> failures;
  friend bool operator==(const TlsPolicy&, const TlsPolicy&) = default;
};

struct TlsReport {
  std::string org_name, report_id, contact;
  std::int64_t begin = 0, end = 0;  // date-range, Unix seconds
  std::vector<TlsPolicy> policies;
  friend bool operator==(const TlsReport&, const TlsReport&) = default;
};

// Stores report, its policies and failure details in one transaction, unless
// one with the same org_name and report_id is stored already. nullopt with
// outcome set on success, else the database's error (nothing stored).
[[nodiscard]] std::optional<std::string> store_tls_report(Database& db, const TlsReport& report, std::int64_t now,
                                                          StoreOutcome& outcome);

// What one sending organization reported for a policy domain in a period.
struct TlsOrgSummary {
  std::string org_name;
  std::uint64_t reports = 0, successful = 0, failed = 0;
  std::map<std::string, std::uint64_t> result_types;  // failed sessions by result type
};
// The organizations whose reports about policy_domain end at or after since, by name.
[[nodiscard]] std::optional<std::string> tls_summary(Database& db, std::string_view policy_domain, std::int64_t since,
                                                     std::vector<TlsOrgSummary>& out);

}  // namespace domainauth::store
