// The history schema, its versioned migrations and the row reads and writes,
// in SQL that SQLite and PostgreSQL both accept (see database.hpp). Reads
// rows from the database, which other hosts may have written: numbers that do
// not parse are read as 0.
#include <array>
#include <charconv>
#include <random>

#include "store/database.hpp"
#include "store/sql_util.hpp"

namespace domainauth::store {
namespace {

// Never edit a released migration: add the next version.
const std::array kMigrations{
    Migration{1,
              {
                  "CREATE TABLE messages ("
                  " id TEXT PRIMARY KEY, time BIGINT NOT NULL,"
                  " window_begin BIGINT NOT NULL, window_end BIGINT NOT NULL,"
                  " source_ip TEXT NOT NULL, header_from TEXT NOT NULL, envelope_from TEXT NOT NULL,"
                  " spf_result TEXT NOT NULL, spf_domain TEXT NOT NULL, spf_aligned INTEGER NOT NULL,"
                  " policy_domain TEXT NOT NULL, p TEXT NOT NULL, sp TEXT NOT NULL, np TEXT NOT NULL,"
                  " pct INTEGER NOT NULL, adkim TEXT NOT NULL, aspf TEXT NOT NULL, testing INTEGER NOT NULL,"
                  " disposition TEXT NOT NULL, result TEXT NOT NULL)",
                  "CREATE INDEX messages_by_window ON messages (window_begin, policy_domain)",
                  "CREATE TABLE dkim_results ("
                  " message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,"
                  " position INTEGER NOT NULL, result TEXT NOT NULL, domain TEXT NOT NULL,"
                  " selector TEXT NOT NULL, aligned INTEGER NOT NULL, PRIMARY KEY (message_id, position))",
              }},
    Migration{2,
              {
                  // Aggregate reports sent (report/send.hpp): one row per destination that accepted.
                  "CREATE TABLE sent_reports ("
                  " policy_domain TEXT NOT NULL, period_begin BIGINT NOT NULL, destination TEXT NOT NULL,"
                  " report_id TEXT NOT NULL, sent_at BIGINT NOT NULL,"
                  " PRIMARY KEY (policy_domain, period_begin, destination))",
                  // The published fo= (RFC 9990 policy_published/fo); '' in rows written before.
                  "ALTER TABLE messages ADD COLUMN fo TEXT NOT NULL DEFAULT ''",
              }},
    Migration{3,
              {
                  // Aggregate reports received (store/ingested.hpp): each once per reporter and report id.
                  "CREATE TABLE ingested_reports ("
                  " id TEXT PRIMARY KEY, org_name TEXT NOT NULL, report_id TEXT NOT NULL, email TEXT NOT NULL,"
                  " begin_time BIGINT NOT NULL, end_time BIGINT NOT NULL, policy_domain TEXT NOT NULL,"
                  " p TEXT NOT NULL, sp TEXT NOT NULL, pct INTEGER NOT NULL, format TEXT NOT NULL,"
                  " ingested_at BIGINT NOT NULL, UNIQUE (org_name, report_id))",
                  "CREATE INDEX ingested_reports_by_domain ON ingested_reports (policy_domain, end_time)",
                  "CREATE TABLE ingested_records ("
                  " report TEXT NOT NULL REFERENCES ingested_reports (id) ON DELETE CASCADE,"
                  " position INTEGER NOT NULL, source_ip TEXT NOT NULL, count BIGINT NOT NULL,"
                  " disposition TEXT NOT NULL, dkim TEXT NOT NULL, spf TEXT NOT NULL, header_from TEXT NOT NULL,"
                  " envelope_from TEXT NOT NULL, dkim_auth TEXT NOT NULL, spf_auth TEXT NOT NULL,"
                  " reasons TEXT NOT NULL, PRIMARY KEY (report, position))",
              }},
    Migration{4,
              {
                  // What report ingest refused (store/ingested.hpp): a count per UTC day and the last reason.
                  "CREATE TABLE ingest_refusals ("
                  " day BIGINT PRIMARY KEY, refused BIGINT NOT NULL, last_error TEXT NOT NULL)",
              }},
    Migration{5,
              {
                  // Failure reports received (store/failure_reports.hpp): each once per dedup key.
                  "CREATE TABLE failure_reports ("
                  " id TEXT PRIMARY KEY, ingested_at BIGINT NOT NULL, dedup_key TEXT NOT NULL UNIQUE,"
                  " reporter TEXT NOT NULL, reported_domain TEXT NOT NULL, time BIGINT NOT NULL,"
                  " arrival_date TEXT NOT NULL, auth_failure TEXT NOT NULL, source_ip TEXT NOT NULL,"
                  " original_mail_from TEXT NOT NULL, original_rcpt_to TEXT NOT NULL,"
                  " authentication_results TEXT NOT NULL, dkim_domain TEXT NOT NULL, dkim_identity TEXT NOT NULL,"
                  " dkim_selector TEXT NOT NULL, spf_dns TEXT NOT NULL, identity_alignment TEXT NOT NULL,"
                  " delivery_result TEXT NOT NULL, reporting_mta TEXT NOT NULL, header_from TEXT NOT NULL,"
                  " subject TEXT NOT NULL, message_id TEXT NOT NULL, header_date TEXT NOT NULL)",
                  "CREATE INDEX failure_reports_by_domain ON failure_reports (reported_domain, time)",
              }},
    Migration{6,
              {
                  // SMTP TLS reports received (store/tls_reports.hpp): each once per organization and report id.
                  "CREATE TABLE tls_reports ("
                  " id TEXT PRIMARY KEY, org_name TEXT NOT NULL, report_id TEXT NOT NULL, contact TEXT NOT NULL,"
                  " begin_time BIGINT NOT NULL, end_time BIGINT NOT NULL, ingested_at BIGINT NOT NULL,"
                  " UNIQUE (org_name, report_id))",
                  "CREATE TABLE tls_policies ("
                  " report TEXT NOT NULL REFERENCES tls_reports (id) ON DELETE CASCADE, position INTEGER NOT NULL,"
                  " policy_type TEXT NOT NULL, policy_string TEXT NOT NULL, policy_domain TEXT NOT NULL,"
                  " mx_host TEXT NOT NULL, successful BIGINT NOT NULL, failed BIGINT NOT NULL,"
                  " PRIMARY KEY (report, position))",
                  "CREATE INDEX tls_policies_by_domain ON tls_policies (policy_domain)",
                  "CREATE TABLE tls_failures ("
                  " report TEXT NOT NULL, policy INTEGER NOT NULL, position INTEGER NOT NULL,"
                  " result_type TEXT NOT NULL, sending_mta_ip TEXT NOT NULL, receiving_mx_hostname TEXT NOT NULL,"
                  " receiving_ip TEXT NOT NULL, sessions BIGINT NOT NULL, reason TEXT NOT NULL,"
                  " PRIMARY KEY (report, policy, position),"
                  " FOREIGN KEY (report, policy) REFERENCES tls_policies (report, position) ON DELETE CASCADE)",
              }},
};

std::string flag(bool b) { return b ? "1" : "0"; }

std::optional<std::string> insert_row(Database& db, const Row& row) {
  const auto id = new_id();
  const auto [begin, end] = reporting_window(row.time);
  const Value values[] = {id,
                          text(row.time),
                          text(begin),
                          text(end),
                          row.source_ip,
                          row.header_from,
                          row.envelope_from,
                          row.spf_result,
                          row.spf_domain,
                          flag(row.spf_aligned),
                          row.policy_domain,
                          row.policy.p,
                          row.policy.sp,
                          row.policy.np,
                          text(row.policy.pct),
                          row.policy.adkim,
                          row.policy.aspf,
                          flag(row.policy.testing),
                          row.disposition,
                          row.result,
                          row.policy.fo};
  if (auto error = db.execute("INSERT INTO messages (id, time, window_begin, window_end, source_ip, header_from,"
                              " envelope_from, spf_result, spf_domain, spf_aligned, policy_domain, p, sp, np, pct,"
                              " adkim, aspf, testing, disposition, result, fo) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
                              " $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
                              values, nullptr)) {
    return error;
  }
  for (std::size_t i = 0; i < row.dkim.size(); ++i) {
    const auto& d = row.dkim[i];
    const Value dkim[] = {id, text(static_cast<std::int64_t>(i)), d.result, d.domain, d.selector, flag(d.aligned)};
    if (auto error = db.execute("INSERT INTO dkim_results (message_id, position, result, domain, selector, aligned)"
                                " VALUES ($1, $2, $3, $4, $5, $6)",
                                dkim, nullptr)) {
      return error;
    }
  }
  return std::nullopt;
}

// The columns every read of messages selects, in to_row's order.
constexpr std::string_view kMessageColumns =
    "SELECT id, time, source_ip, header_from, envelope_from, spf_result, spf_domain, spf_aligned, policy_domain, p,"
    " sp, np, pct, adkim, aspf, testing, disposition, result, fo FROM messages";

Row to_row(const ResultRow& r) {
  Row row;
  row.time = number(r[1]);
  row.source_ip = str(r[2]);
  row.header_from = str(r[3]);
  row.envelope_from = str(r[4]);
  row.spf_result = str(r[5]);
  row.spf_domain = str(r[6]);
  row.spf_aligned = number(r[7]) != 0;
  row.policy_domain = str(r[8]);
  row.policy = {str(r[9]), str(r[10]), str(r[11]), static_cast<int>(number(r[12])), str(r[13]), str(r[14]),
                number(r[15]) != 0, str(r[18])};
  row.disposition = str(r[16]);
  row.result = str(r[17]);
  return row;
}

// The rows of messages read (kMessageColumns), each with its DKIM results.
std::optional<std::string> with_dkim(Database& db, const std::vector<ResultRow>& rows, std::vector<Row>& out) {
  for (const auto& r : rows) {
    auto row = to_row(r);
    std::vector<ResultRow> dkim;
    const Value id[] = {r[0]};
    if (auto error = db.execute("SELECT result, domain, selector, aligned FROM dkim_results WHERE message_id = $1"
                                " ORDER BY position",
                                id, &dkim)) {
      return error;
    }
    for (const auto& d : dkim) row.dkim.push_back({str(d[0]), str(d[1]), str(d[2]), number(d[3]) != 0});
    out.push_back(std::move(row));
  }
  return std::nullopt;
}

}  // namespace

std::string text(std::int64_t n) { return std::to_string(n); }

std::int64_t number(const Value& v) {
  std::int64_t n = 0;
  if (v) std::from_chars(v->data(), v->data() + v->size(), n);
  return n;
}
std::string str(const Value& v) { return v.value_or(""); }

// A row id unique across hosts sharing one database: 128 random bits.
std::string new_id() {
  thread_local std::mt19937_64 rng{std::random_device{}() ^ (std::uint64_t{std::random_device{}()} << 32)};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int half = 0; half < 2; ++half) {
    auto n = rng();
    for (int i = 0; i < 16; ++i, n >>= 4) id += kHex[n & 15];
  }
  return id;
}

namespace {

// body, then COMMIT, in the transaction the caller began; ROLLBACK when either fails.
std::optional<std::string> finish_transaction(Database& db, const std::function<std::optional<std::string>()>& body) {
  if (auto error = body()) {
    (void)db.exec("ROLLBACK");
    return error;
  }
  if (auto error = db.exec("COMMIT")) {
    (void)db.exec("ROLLBACK");
    return error;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> in_transaction(Database& db, const std::function<std::optional<std::string>()>& body) {
  if (auto error = db.exec("BEGIN")) return error;
  return finish_transaction(db, body);
}

std::optional<std::string> insert_once(Database& db, std::string_view insert, std::span<const Value> values,
                                       std::size_t children,
                                       const std::function<std::optional<std::string>(std::size_t)>& child,
                                       StoreOutcome& outcome) {
  return in_transaction(db, [&]() -> std::optional<std::string> {
    std::vector<ResultRow> inserted;
    if (auto error = db.execute(insert, values, &inserted)) return error;
    outcome = inserted.empty() ? StoreOutcome::duplicate : StoreOutcome::stored;
    for (std::size_t i = 0; i < children && !inserted.empty(); ++i) {
      if (auto error = child(i)) return error;
    }
    return std::nullopt;
  });
}

std::optional<std::string> locked_transaction(Database& db, std::string_view name,
                                              const std::function<std::optional<std::string>()>& body) {
  if (auto error = db.begin_locked(name)) return error;
  return finish_transaction(db, body);
}

std::pair<std::int64_t, std::int64_t> reporting_window(std::int64_t time) {
  auto begin = time - time % kReportInterval;
  if (time < 0 && time % kReportInterval != 0) begin -= kReportInterval;
  return {begin, begin + kReportInterval};
}

std::span<const Migration> migrations() { return kMigrations; }
int latest_schema_version() { return kMigrations.back().version; }

std::optional<int> schema_version(Database& db, std::string& why) {
  if (auto error = db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")) {
    why = *error;
    return std::nullopt;
  }
  std::vector<ResultRow> rows;
  if (auto error = db.execute("SELECT MAX(version) FROM schema_version", {}, &rows)) {
    why = *error;
    return std::nullopt;
  }
  return rows.empty() ? 0 : static_cast<int>(number(rows[0][0]));
}

namespace {

std::optional<std::string> migrate_now(Database& db) {
  std::string why;
  const auto current = schema_version(db, why);
  if (!current) return why;
  if (*current > latest_schema_version()) {
    return "schema version " + std::to_string(*current) + " is newer than this program's (" +
           std::to_string(latest_schema_version()) + ")";
  }
  for (const auto& migration : kMigrations) {
    if (migration.version <= *current) continue;
    auto error = in_transaction(db, [&]() -> std::optional<std::string> {
      for (auto statement : migration.statements) {
        if (auto e = db.exec(statement)) return e;
      }
      const Value version[] = {std::to_string(migration.version)};
      return db.execute("INSERT INTO schema_version (version) VALUES ($1)", version, nullptr);
    });
    if (error) return "migration to schema version " + std::to_string(migration.version) + ": " + *error;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> migrate(Database& db) {
  return db.exclusively([&db] { return migrate_now(db); });
}

std::optional<std::string> insert_rows(Database& db, std::span<const Row> rows) {
  return in_transaction(db, [&]() -> std::optional<std::string> {
    for (const auto& row : rows) {
      if (auto error = insert_row(db, row)) return error;
    }
    return std::nullopt;
  });
}

std::optional<std::string> select_rows(Database& db, std::string_view policy_domain, std::int64_t begin,
                                       std::int64_t end, std::vector<Row>& out) {
  std::vector<ResultRow> rows;
  const Value range[] = {text(begin), text(end), std::string(policy_domain), std::string(policy_domain)};
  if (auto error = db.execute(std::string(kMessageColumns) +
                                  " WHERE time >= $1 AND time < $2 AND ($3 = '' OR policy_domain = $4)"
                                  " ORDER BY time, id",
                              range, &rows)) {
    return error;
  }
  return with_dkim(db, rows, out);
}

std::optional<std::string> policy_domains(Database& db, std::int64_t begin, std::int64_t end,
                                          std::vector<std::string>& out) {
  std::vector<ResultRow> rows;
  const Value range[] = {text(begin), text(end)};
  if (auto error = db.execute("SELECT DISTINCT policy_domain FROM messages WHERE time >= $1 AND time < $2"
                              " ORDER BY policy_domain",
                              range, &rows)) {
    return error;
  }
  for (const auto& r : rows) out.push_back(str(r[0]));
  return std::nullopt;
}

std::optional<std::string> messages_by_day(Database& db, std::string_view policy_domain, std::int64_t since,
                                           std::vector<DayCount>& out) {
  std::vector<ResultRow> rows;
  const Value values[] = {std::string(policy_domain), text(since)};
  if (auto error = db.execute("SELECT time - time % " + std::to_string(kReportInterval) +
                                  " AS day, result, COUNT(*) FROM messages"
                                  " WHERE policy_domain = $1 AND time >= $2 GROUP BY day, result ORDER BY day, result",
                              values, &rows)) {
    return error;
  }
  for (const auto& r : rows) out.push_back({number(r[0]), str(r[1]), static_cast<std::uint64_t>(number(r[2]))});
  return std::nullopt;
}

std::optional<std::string> recent_failures(Database& db, std::string_view policy_domain, std::size_t limit,
                                           std::vector<Row>& out) {
  std::vector<ResultRow> rows;
  const Value values[] = {std::string(policy_domain)};
  if (auto error = db.execute(std::string(kMessageColumns) +
                                  " WHERE policy_domain = $1 AND result = 'fail' ORDER BY time DESC, id LIMIT " +
                                  std::to_string(limit),
                              values, &rows)) {
    return error;
  }
  return with_dkim(db, rows, out);
}

std::optional<std::string> was_sent(Database& db, const SentKey& key, bool& sent) {
  std::vector<ResultRow> rows;
  const Value values[] = {key.policy_domain, text(key.period_begin), key.destination};
  if (auto error = db.execute("SELECT report_id FROM sent_reports WHERE policy_domain = $1 AND period_begin = $2"
                              " AND destination = $3",
                              values, &rows)) {
    return error;
  }
  sent = !rows.empty();
  return std::nullopt;
}

std::optional<std::string> mark_sent(Database& db, const SentKey& key, std::string_view report_id,
                                     std::int64_t sent_at) {
  const Value values[] = {key.policy_domain, text(key.period_begin), key.destination, std::string(report_id),
                          text(sent_at)};
  return db.execute("INSERT INTO sent_reports (policy_domain, period_begin, destination, report_id, sent_at)"
                    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (policy_domain, period_begin, destination)"
                    " DO UPDATE SET report_id = excluded.report_id, sent_at = excluded.sent_at",
                    values, nullptr);
}

}  // namespace domainauth::store
