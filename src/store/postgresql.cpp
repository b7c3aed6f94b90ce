// The PostgreSQL connection of the history, so that several mail hosts share
// one history. Reads untrusted input only from the database server.
#include <libpq-fe.h>

#include <cstdint>
#include <string>

#include "store/database.hpp"

namespace domainauth::store {
namespace {

// pg_advisory_lock key of schema migrations ("dmauth" in ASCII): any constant
// all domainauth hosts share and no other application of the database uses.
constexpr std::string_view kMigrationLock = "110420949300328";
// First key of the two-key pg_advisory_xact_lock of begin_locked ("dmar"); the
// two-key space is apart from the one-key space of kMigrationLock.
constexpr std::string_view kNamedLockClass = "1684890994";

// The second key: FNV-1a of name, the same on every host. Two names with one
// hash only wait for each other.
std::string lock_key(std::string_view name) {
  std::uint32_t hash = 2166136261U;
  for (const char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619U;
  return std::to_string(static_cast<std::int32_t>(hash));
}

class Postgresql final : public Database {
 public:
  explicit Postgresql(PGconn* conn) : conn_(conn) {}
  ~Postgresql() override { PQfinish(conn_); }
  Postgresql(const Postgresql&) = delete;
  Postgresql& operator=(const Postgresql&) = delete;

  std::optional<std::string> execute(std::string_view sql, std::span<const Value> params,
                                     std::vector<ResultRow>* rows) override {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    const std::string text(sql);
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                 nullptr, nullptr, 0);
    const auto status = PQresultStatus(res);
    std::optional<std::string> error;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      error = std::string("postgresql: ") + PQerrorMessage(conn_);
      while (!error->empty() && error->back() == '\n') error->pop_back();
    } else if (rows && status == PGRES_TUPLES_OK) {
      for (int r = 0; r < PQntuples(res); ++r) {
        ResultRow row;
        for (int c = 0; c < PQnfields(res); ++c) {
          if (PQgetisnull(res, r, c)) row.emplace_back(std::nullopt);
          else row.emplace_back(std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
        }
        rows->push_back(std::move(row));
      }
    }
    PQclear(res);
    return error;
  }

  // A session-level lock: migrate() spans several transactions. Waits for a
  // host migrating at the same time, which then finds the schema up to date.
  std::optional<std::string> exclusively(const std::function<std::optional<std::string>()>& body) override {
    const Value key[] = {std::string(kMigrationLock)};
    if (auto error = execute("SELECT pg_advisory_lock($1::bigint)", key, nullptr)) return error;
    auto result = body();
    if (auto error = execute("SELECT pg_advisory_unlock($1::bigint)", key, nullptr); error && !result) result = error;
    return result;
  }

  // Waits for a connection holding the same name; PostgreSQL releases the
  // lock at COMMIT or ROLLBACK, and when a dead client's connection closes.
  std::optional<std::string> begin_locked(std::string_view name) override {
    if (auto error = exec("BEGIN")) return error;
    const Value keys[] = {std::string(kNamedLockClass), lock_key(name)};
    if (auto error = execute("SELECT pg_advisory_xact_lock($1::integer, $2::integer)", keys, nullptr)) {
      (void)exec("ROLLBACK");
      return error;
    }
    return std::nullopt;
  }

  std::optional<std::string> read_only(std::chrono::milliseconds timeout) override {
    if (auto error = exec("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")) return error;
    return exec("SET statement_timeout = " + std::to_string(timeout.count()));
  }

 private:
  PGconn* conn_;
};

}  // namespace

std::unique_ptr<Database> open_postgresql(const std::string& conninfo, std::string& why) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    why = std::string("postgresql connection failed: ") + (conn ? PQerrorMessage(conn) : "out of memory");
    while (!why.empty() && why.back() == '\n') why.pop_back();
    PQfinish(conn);
    return nullptr;
  }
  auto out = std::make_unique<Postgresql>(conn);
  // Notices (e.g. "relation already exists, skipping") are not errors.
  if (auto error = out->exec("SET client_min_messages TO warning")) {
    why = *error;
    return nullptr;
  }
  return out;
}

}  // namespace domainauth::store
