// Storing received failure reports and reading them back (failure_reports.hpp),
// in SQL that SQLite and PostgreSQL both accept.
#include "store/failure_reports.hpp"

#include "store/sql_util.hpp"

namespace domainauth::store {
namespace {

constexpr const char* kColumns =
    "dedup_key, reporter, reported_domain, time, arrival_date, auth_failure, source_ip, original_mail_from,"
    " original_rcpt_to, authentication_results, dkim_domain, dkim_identity, dkim_selector, spf_dns,"
    " identity_alignment, delivery_result, reporting_mta, header_from, subject, message_id, header_date";

}  // namespace

std::optional<std::string> store_failure_report(Database& db, const FailureReport& r, std::int64_t now,
                                                StoreOutcome& outcome) {
  const Value values[] = {new_id(),         text(now),          r.key,
                          r.reporter,       r.reported_domain,  text(r.time),
                          r.arrival_date,   r.auth_failure,     r.source_ip,
                          r.original_mail_from, r.original_rcpt_to, r.authentication_results,
                          r.dkim_domain,    r.dkim_identity,    r.dkim_selector,
                          r.spf_dns,        r.identity_alignment, r.delivery_result,
                          r.reporting_mta,  r.header_from,      r.subject,
                          r.message_id,     r.date};
  // A report mailed twice (a retried alias, a maildir read again) leaves no second row.
  return insert_once(db,
                     std::string("INSERT INTO failure_reports (id, ingested_at, ") + kColumns +
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
                         " $17, $18, $19, $20, $21, $22, $23) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
                     values, 0, nullptr, outcome);
}

std::optional<std::string> failure_reports(Database& db, std::string_view reported_domain, std::int64_t since,
                                           std::size_t limit, std::vector<FailureReport>& out) {
  std::vector<ResultRow> rows;
  const Value values[] = {std::string(reported_domain), text(since), text(static_cast<std::int64_t>(limit))};
  if (auto error = db.execute(std::string("SELECT ") + kColumns +
                                  " FROM failure_reports WHERE reported_domain = $1 AND time >= $2"
                                  " ORDER BY time DESC, dedup_key LIMIT $3",
                              values, &rows)) {
    return error;
  }
  for (const auto& row : rows) {
    FailureReport r;
    std::size_t i = 0;
    for (std::string* field : {&r.key, &r.reporter, &r.reported_domain}) *field = str(row.at(i++));
    r.time = number(row.at(i++));
    for (std::string* field : {&r.arrival_date, &r.auth_failure, &r.source_ip, &r.original_mail_from,
                               &r.original_rcpt_to, &r.authentication_results, &r.dkim_domain, &r.dkim_identity,
                               &r.dkim_selector, &r.spf_dns, &r.identity_alignment, &r.delivery_result,
                               &r.reporting_mta, &r.header_from, &r.subject, &r.message_id, &r.date}) {
      *field = str(row.at(i++));
    }
    out.push_back(std::move(r));
  }
  return std::nullopt;
}

std::optional<std::string> count_failure_reports(Database& db, std::string_view reported_domain, std::int64_t since,
                                                 std::uint64_t& out) {
  std::vector<ResultRow> rows;
  const Value values[] = {std::string(reported_domain), text(since)};
  if (auto error = db.execute("SELECT COUNT(*) FROM failure_reports WHERE reported_domain = $1 AND time >= $2",
                              values, &rows)) {
    return error;
  }
  out = static_cast<std::uint64_t>(number(rows.at(0).at(0)));
  return std::nullopt;
}

}  // namespace domainauth::store
