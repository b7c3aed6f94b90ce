// Database access for the history: a minimal connection interface with two
// implementations (SQLite, PostgreSQL), the versioned schema migrations and
// the row reads and writes, written once in SQL both databases accept. Reads
// untrusted input only from the database (rows other hosts wrote).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/history.hpp"

namespace domainauth::store {

using Value = std::optional<std::string>;  // nullopt: SQL NULL
using ResultRow = std::vector<Value>;

// What storing a received report did: stored it, or found it stored already.
enum class StoreOutcome : std::uint8_t { stored, duplicate };

// One connection. SQL uses $1, $2... placeholders, each once and in order
// (both SQLite and PostgreSQL bind those by position); values travel as text.
class Database {
 public:
  virtual ~Database() = default;
  // Runs one statement; rows (when given) receive what it returns. nullopt on
  // success, else the database's error text.
  [[nodiscard]] virtual std::optional<std::string> execute(std::string_view sql, std::span<const Value> params,
                                                           std::vector<ResultRow>* rows) = 0;
  [[nodiscard]] std::optional<std::string> exec(std::string_view sql) { return execute(sql, {}, nullptr); }
  // Runs body while no other connection to the same database runs one
  // (migrate() reads the schema version and upgrades it under it). PostgreSQL:
  // a session advisory lock, as several hosts may start on an empty database
  // at once; SQLite (one host, one file): body as it is.
  [[nodiscard]] virtual std::optional<std::string> exclusively(
      const std::function<std::optional<std::string>()>& body) {
    return body();
  }
  // Starts a transaction that holds the lock named name until it ends (COMMIT,
  // ROLLBACK, or the connection closing when the process dies), so that of
  // several connections taking the same name at once, one waits for the other.
  // PostgreSQL: BEGIN and pg_advisory_xact_lock on a hash of name (other names
  // do not wait); SQLite: BEGIN IMMEDIATE, the write lock of the whole file.
  [[nodiscard]] virtual std::optional<std::string> begin_locked(std::string_view name) = 0;
  // From now on refuses every write and gives up a statement after timeout
  // (the dashboard's reads). SQLite: PRAGMA query_only and the busy timeout;
  // PostgreSQL: read-only transactions and statement_timeout.
  [[nodiscard]] virtual std::optional<std::string> read_only(std::chrono::milliseconds timeout) = 0;
};

// nullptr with why when the database cannot be opened.
[[nodiscard]] std::unique_ptr<Database> open_sqlite(const std::string& path, std::string& why);
[[nodiscard]] std::unique_ptr<Database> open_postgresql(const std::string& conninfo, std::string& why);

// The migrations in code: schema version N is reached by running statements
// 1..N in order, each version in one transaction.
struct Migration {
  int version;
  std::vector<std::string_view> statements;
};
[[nodiscard]] std::span<const Migration> migrations();
[[nodiscard]] int latest_schema_version();

// Brings the schema up to the latest version (Database::exclusively: one
// connection at a time); nullopt on success.
[[nodiscard]] std::optional<std::string> migrate(Database& db);
// The version recorded in schema_version (0 for an empty database).
[[nodiscard]] std::optional<int> schema_version(Database& db, std::string& why);

// Runs body in a transaction begun by Database::begin_locked(name), then
// COMMIT; ROLLBACK when body or COMMIT fails. nullopt on success.
[[nodiscard]] std::optional<std::string> locked_transaction(Database& db, std::string_view name,
                                                            const std::function<std::optional<std::string>()>& body);

// Stores rows in one transaction; nullopt on success.
[[nodiscard]] std::optional<std::string> insert_rows(Database& db, std::span<const Row> rows);

// The rows evaluated in [begin, end); all policy domains when policy_domain is empty.
[[nodiscard]] std::optional<std::string> select_rows(Database& db, std::string_view policy_domain, std::int64_t begin,
                                                     std::int64_t end, std::vector<Row>& out);
// The policy domains with rows in [begin, end).
[[nodiscard]] std::optional<std::string> policy_domains(Database& db, std::int64_t begin, std::int64_t end,
                                                        std::vector<std::string>& out);

// The history's messages of policy_domain evaluated at or after since, per
// UTC day (day: its first second) and DMARC result, days in order.
struct DayCount {
  std::int64_t day = 0;
  std::string result;
  std::uint64_t messages = 0;
};
[[nodiscard]] std::optional<std::string> messages_by_day(Database& db, std::string_view policy_domain,
                                                         std::int64_t since, std::vector<DayCount>& out);

// The latest messages of policy_domain that failed DMARC, newest first, at
// most limit, each with its DKIM results.
[[nodiscard]] std::optional<std::string> recent_failures(Database& db, std::string_view policy_domain,
                                                         std::size_t limit, std::vector<Row>& out);

// Aggregate reports already sent: one per policy domain, period and
// destination (the mailbox), so a second run of the same period sends nothing.
struct SentKey {
  std::string policy_domain;
  std::int64_t period_begin = 0;
  std::string destination;
};
// sent: whether key was recorded as sent.
[[nodiscard]] std::optional<std::string> was_sent(Database& db, const SentKey& key, bool& sent);
// Records (or, after a forced resend, updates) key as sent now.
[[nodiscard]] std::optional<std::string> mark_sent(Database& db, const SentKey& key, std::string_view report_id,
                                                   std::int64_t sent_at);

}  // namespace domainauth::store
