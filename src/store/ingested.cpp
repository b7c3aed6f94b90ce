// Storing received aggregate reports and reading their records back (see
// ingested.hpp), in SQL that SQLite and PostgreSQL both accept.
#include "store/ingested.hpp"

#include "store/history.hpp"
#include "store/sql_util.hpp"

namespace domainauth::store {
namespace {

std::optional<std::string> insert_record(Database& db, const std::string& report, std::size_t position,
                                         const IngestedRecord& r) {
  const Value values[] = {report,
                          text(static_cast<std::int64_t>(position)),
                          r.source_ip,
                          text(static_cast<std::int64_t>(r.count)),
                          r.disposition,
                          r.dkim,
                          r.spf,
                          r.header_from,
                          r.envelope_from,
                          r.dkim_auth,
                          r.spf_auth,
                          r.reasons};
  return db.execute("INSERT INTO ingested_records (report, position, source_ip, count, disposition, dkim, spf,"
                    " header_from, envelope_from, dkim_auth, spf_auth, reasons)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    values, nullptr);
}

}  // namespace

std::optional<std::string> store_ingested(Database& db, const IngestedReport& report, std::int64_t now,
                                          StoreOutcome& outcome) {
  const auto id = new_id();
  const Value values[] = {id,           report.org_name,      report.report_id, report.email,
                          text(report.begin), text(report.end), report.policy_domain, report.p,
                          report.sp,    text(report.pct),     report.format,    text(now)};
  // A re-sent report (same reporter and id, RFC 9990 3.1.1 report_id) leaves no row: nothing more to do.
  return insert_once(db,
                     "INSERT INTO ingested_reports (id, org_name, report_id, email, begin_time, end_time,"
                     " policy_domain, p, sp, pct, format, ingested_at)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                     " ON CONFLICT (org_name, report_id) DO NOTHING RETURNING id",
                     values, report.records.size(),
                     [&](std::size_t i) { return insert_record(db, id, i, report.records[i]); }, outcome);
}

std::optional<std::string> ingested_records(Database& db, std::string_view policy_domain, std::int64_t since,
                                            std::vector<ReportedRecord>& out) {
  std::vector<ResultRow> rows;
  const Value values[] = {std::string(policy_domain), text(since)};
  if (auto error = db.execute("SELECT r.org_name, c.source_ip, c.count, c.disposition, c.dkim, c.spf, c.header_from,"
                              " c.envelope_from, c.dkim_auth, c.spf_auth, c.reasons, r.begin_time"
                              " FROM ingested_records c JOIN ingested_reports r ON c.report = r.id"
                              " WHERE r.policy_domain = $1 AND r.end_time >= $2"
                              " ORDER BY c.source_ip, r.org_name, r.begin_time, c.position",
                              values, &rows)) {
    return error;
  }
  for (const auto& r : rows) {
    out.push_back({str(r[0]),
                   {str(r[1]), static_cast<std::uint64_t>(number(r[2])), str(r[3]), str(r[4]), str(r[5]), str(r[6]),
                    str(r[7]), str(r[8]), str(r[9]), str(r[10])},
                   number(r[11])});
  }
  return std::nullopt;
}

std::optional<std::string> record_refused(Database& db, std::int64_t now, std::uint64_t n, std::string_view why) {
  const Value values[] = {text(reporting_window(now).first), text(static_cast<std::int64_t>(n)), std::string(why)};
  return db.execute("INSERT INTO ingest_refusals (day, refused, last_error) VALUES ($1, $2, $3)"
                    " ON CONFLICT (day) DO UPDATE SET refused = ingest_refusals.refused + excluded.refused,"
                    " last_error = excluded.last_error",
                    values, nullptr);
}

std::optional<std::string> ingest_counts(Database& db, IngestCounts& out) {
  std::vector<ResultRow> rows;
  if (auto error = db.execute("SELECT (SELECT COUNT(*) FROM ingested_reports),"
                              " (SELECT COALESCE(SUM(refused), 0) FROM ingest_refusals),"
                              " (SELECT COUNT(*) FROM failure_reports), (SELECT COUNT(*) FROM tls_reports)",
                              {}, &rows)) {
    return error;
  }
  out.stored = static_cast<std::uint64_t>(number(rows.at(0).at(0)));
  out.refused = static_cast<std::uint64_t>(number(rows.at(0).at(1)));
  out.failures = static_cast<std::uint64_t>(number(rows.at(0).at(2)));
  out.tls = static_cast<std::uint64_t>(number(rows.at(0).at(3)));
  return std::nullopt;
}

std::optional<std::string> ingested_domains(Database& db, std::vector<std::string>& out) {
  std::vector<ResultRow> rows;
  if (auto error = db.execute("SELECT policy_domain FROM ingested_reports UNION SELECT reported_domain FROM"
                              " failure_reports UNION SELECT policy_domain FROM tls_policies ORDER BY 1",
                              {}, &rows)) {
    return error;
  }
  for (const auto& r : rows) out.push_back(str(r[0]));
  return std::nullopt;
}

}  // namespace domainauth::store
