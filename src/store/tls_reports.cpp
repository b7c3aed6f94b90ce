// Storing received SMTP TLS reports and summing them (tls_reports.hpp), in SQL
// that SQLite and PostgreSQL both accept.
#include "store/tls_reports.hpp"

#include "store/sql_util.hpp"

namespace domainauth::store {
namespace {

std::optional<std::string> insert_policy(Database& db, const std::string& report, std::size_t position,
                                         const TlsPolicy& p) {
  const auto at = text(static_cast<std::int64_t>(position));
  const Value values[] = {report,          at,         p.policy_type,
                          p.policy_string, p.policy_domain, p.mx_host,
                          text(static_cast<std::int64_t>(p.successful)), text(static_cast<std::int64_t>(p.failed))};
  if (auto error = db.execute("INSERT INTO tls_policies (report, position, policy_type, policy_string, policy_domain,"
                              " mx_host, successful, failed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                              values, nullptr)) {
    return error;
  }
  for (std::size_t i = 0; i < p.failures.size(); ++i) {
    const auto& f = p.failures[i];
    const Value detail[] = {report, at, text(static_cast<std::int64_t>(i)), f.result_type, f.sending_mta_ip,
                            f.receiving_mx_hostname, f.receiving_ip, text(static_cast<std::int64_t>(f.sessions)),
                            f.reason};
    if (auto error = db.execute("INSERT INTO tls_failures (report, policy, position, result_type, sending_mta_ip,"
                                " receiving_mx_hostname, receiving_ip, sessions, reason)"
                                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                detail, nullptr)) {
      return error;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> store_tls_report(Database& db, const TlsReport& report, std::int64_t now,
                                            StoreOutcome& outcome) {
  const auto id = new_id();
  const Value values[] = {id, report.org_name, report.report_id, report.contact, text(report.begin),
                          text(report.end), text(now)};
  // A re-sent report (RFC 8460 4.4 report-id: unique per organization) leaves no row.
  return insert_once(db,
                     "INSERT INTO tls_reports (id, org_name, report_id, contact, begin_time, end_time, ingested_at)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_name, report_id) DO NOTHING RETURNING id",
                     values, report.policies.size(),
                     [&](std::size_t i) { return insert_policy(db, id, i, report.policies[i]); }, outcome);
}

std::optional<std::string> tls_summary(Database& db, std::string_view policy_domain, std::int64_t since,
                                       std::vector<TlsOrgSummary>& out) {
  const Value values[] = {std::string(policy_domain), text(since)};
  std::vector<ResultRow> sessions, types;
  if (auto error = db.execute("SELECT r.org_name, COUNT(DISTINCT r.id), SUM(p.successful), SUM(p.failed)"
                              " FROM tls_policies p JOIN tls_reports r ON p.report = r.id"
                              " WHERE p.policy_domain = $1 AND r.end_time >= $2 GROUP BY r.org_name"
                              " ORDER BY r.org_name",
                              values, &sessions)) {
    return error;
  }
  if (auto error = db.execute("SELECT r.org_name, f.result_type, SUM(f.sessions)"
                              " FROM tls_failures f JOIN tls_policies p ON f.report = p.report AND f.policy = p.position"
                              " JOIN tls_reports r ON p.report = r.id"
                              " WHERE p.policy_domain = $1 AND r.end_time >= $2 GROUP BY r.org_name, f.result_type",
                              values, &types)) {
    return error;
  }
  std::map<std::string, std::size_t> index;
  for (const auto& row : sessions) {
    index[str(row.at(0))] = out.size();
    out.push_back({str(row.at(0)), static_cast<std::uint64_t>(number(row.at(1))),
                   static_cast<std::uint64_t>(number(row.at(2))), static_cast<std::uint64_t>(number(row.at(3))), {}});
  }
  for (const auto& row : types) {
    if (const auto it = index.find(str(row.at(0))); it != index.end()) {
      out[it->second].result_types[str(row.at(1))] = static_cast<std::uint64_t>(number(row.at(2)));
    }
  }
  return std::nullopt;
}

}  // namespace domainauth::store
