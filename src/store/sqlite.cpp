// The SQLite connection of the history (a file in the state directory).
// Reads untrusted input only from the database file.
#include <sqlite3.h>

#include <map>

#include "store/database.hpp"

namespace domainauth::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;  // another process (the report command) holding the lock
// Prepared statements kept per connection, by SQL text (the history writer runs
// the same few for every row); beyond it (SQL with lists built per call) the
// cache starts afresh.
constexpr std::size_t kKeptStatements = 32;

class Sqlite final : public Database {
 public:
  explicit Sqlite(sqlite3* db) : db_(db) {}
  ~Sqlite() override {
    forget_statements();
    sqlite3_close_v2(db_);
  }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  std::optional<std::string> execute(std::string_view sql, std::span<const Value> params,
                                     std::vector<ResultRow>* rows) override {
    auto kept = statements_.find(sql);
    if (kept == statements_.end()) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                             nullptr) != SQLITE_OK) {
        return error("prepare");
      }
      if (statements_.size() >= kKeptStatements) forget_statements();
      kept = statements_.emplace(std::string(sql), stmt).first;
    }
    auto result = run(kept->second, params, rows);
    sqlite3_reset(kept->second);
    sqlite3_clear_bindings(kept->second);
    return result;
  }

  // One file on one host: the write lock serves every name. Another process
  // holding it is waited for up to kBusyTimeoutMs, then this fails.
  std::optional<std::string> begin_locked(std::string_view) override { return exec("BEGIN IMMEDIATE"); }

  // A read in WAL mode does not wait for writers; the timeout bounds waiting
  // for a checkpoint or recovery.
  std::optional<std::string> read_only(std::chrono::milliseconds timeout) override {
    sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
    return exec("PRAGMA query_only = ON");
  }

 private:
  std::optional<std::string> run(sqlite3_stmt* stmt, std::span<const Value> params, std::vector<ResultRow>* rows) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      const int rc = params[i] ? sqlite3_bind_text(stmt, index, params[i]->data(), static_cast<int>(params[i]->size()),
                                                   SQLITE_TRANSIENT)
                               : sqlite3_bind_null(stmt, index);
      if (rc != SQLITE_OK) return error("bind");
    }
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return std::nullopt;
      if (rc != SQLITE_ROW) return error("step");
      if (!rows) continue;
      ResultRow row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = sqlite3_column_text(stmt, c);
        if (text) row.emplace_back(std::string(reinterpret_cast<const char*>(text),
                                               static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        else row.emplace_back(std::nullopt);
      }
      rows->push_back(std::move(row));
    }
  }

  std::string error(std::string_view step) const { return "sqlite " + std::string(step) + ": " + sqlite3_errmsg(db_); }

  void forget_statements() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
  }

  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path, std::string& why) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    why = "cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  auto out = std::make_unique<Sqlite>(db);
  // WAL: the report command reads while the milter writes. synchronous=NORMAL:
  // a commit is not synced to disk by itself but at the next checkpoint, so a
  // crash of the process loses nothing committed and the file stays whole
  // whatever happens; a power failure or a kernel crash may lose the last
  // transactions (docs/architecture.md, "Durability of the history").
  std::vector<ResultRow> ignored;
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"}) {
    if (auto error = out->execute(pragma, {}, &ignored)) {
      why = path + ": " + *error;
      return nullptr;
    }
  }
  return out;
}

}  // namespace domainauth::store
