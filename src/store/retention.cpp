// History retention (see retention.hpp): one batch is a transaction that
// reads up to kExpireBatch ids of expired messages, deletes their DKIM results
// and them (SQLite does not enforce the ON DELETE CASCADE of schema version 1
// without PRAGMA foreign_keys), then up to as many sent-report rows of expired
// periods. The SQL is the same for SQLite and PostgreSQL.
#include "store/retention.hpp"

#include <vector>

#include "store/sql_util.hpp"

namespace domainauth::store {
namespace {

// "$1, $2, ..., $n"
std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 1; i <= n; ++i) out += (i > 1 ? ", $" : "$") + std::to_string(i);
  return out;
}

std::optional<std::string> expire_messages(Database& db, std::int64_t cutoff, std::size_t limit,
                                           std::uint64_t& deleted, bool& more) {
  std::vector<ResultRow> found;
  const Value before[] = {std::to_string(cutoff)};
  // messages_by_window (window_begin, policy_domain) finds them without a scan.
  if (auto error = db.execute("SELECT id FROM messages WHERE window_begin < $1 LIMIT " + std::to_string(limit),
                              before, &found)) {
    return error;
  }
  more = more || found.size() >= limit;
  if (found.empty()) return std::nullopt;
  std::vector<Value> ids;
  for (auto& row : found) ids.push_back(std::move(row.at(0)));
  const auto list = placeholders(ids.size());
  if (auto error = db.execute("DELETE FROM dkim_results WHERE message_id IN (" + list + ")", ids, nullptr)) {
    return error;
  }
  std::vector<ResultRow> gone;
  if (auto error = db.execute("DELETE FROM messages WHERE id IN (" + list + ") RETURNING id", ids, &gone)) {
    return error;
  }
  deleted += gone.size();
  return std::nullopt;
}

std::optional<std::string> expire_sent_reports(Database& db, std::int64_t cutoff, std::size_t limit,
                                               std::uint64_t& deleted, bool& more) {
  std::vector<ResultRow> gone;
  const Value before[] = {std::to_string(cutoff)};
  if (auto error = db.execute("DELETE FROM sent_reports WHERE (policy_domain, period_begin, destination) IN"
                              " (SELECT policy_domain, period_begin, destination FROM sent_reports"
                              " WHERE period_begin < $1 LIMIT " +
                                  std::to_string(limit) + ") RETURNING period_begin",
                              before, &gone)) {
    return error;
  }
  deleted += gone.size();
  more = more || gone.size() >= limit;
  return std::nullopt;
}

}  // namespace

std::int64_t retention_cutoff(std::int64_t now, std::int64_t days) {
  return reporting_window(now).first - days * kReportInterval;
}

std::optional<std::string> expire_batch(Database& db, std::int64_t cutoff, std::size_t limit, Expired& counts,
                                        bool& more) {
  Expired batch;
  bool full = false;
  auto error = in_transaction(db, [&]() -> std::optional<std::string> {
    if (auto e = expire_messages(db, cutoff, limit, batch.messages, full)) return e;
    return expire_sent_reports(db, cutoff, limit, batch.sent_reports, full);
  });
  if (error) return error;  // rolled back: nothing was deleted
  counts.messages += batch.messages;
  counts.sent_reports += batch.sent_reports;
  more = full;
  return std::nullopt;
}

std::optional<std::string> expire(Database& db, std::int64_t cutoff, Expired& counts) {
  for (bool more = true; more;) {
    if (auto error = expire_batch(db, cutoff, kExpireBatch, counts, more)) return error;
  }
  return std::nullopt;
}

}  // namespace domainauth::store
