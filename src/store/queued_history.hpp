// The History the milter uses: rows go into a bounded queue and a writer
// thread (queue::BoundedWorker) stores them in batches, so mail never waits
// for the database. When the queue is full, or the database is down long
// enough for it to fill, rows are dropped with a counter and a log line. The
// same thread applies retention (retention.hpp) one batch at a time between
// the rows, so a long deletion never holds rows back. No untrusted input.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <variant>

#include "queue/bounded_worker.hpp"
#include "store/database.hpp"
#include "store/history.hpp"
#include "store/retention.hpp"
#include "store/settings.hpp"

namespace domainauth::store {

inline constexpr std::size_t kBatchRows = 200;  // rows per transaction at most
// A transaction stores the rows of up to kGather (one commit, one WAL sync for
// them all, instead of one per message); rows are in memory that long more.
inline constexpr std::chrono::milliseconds kGather{100};

// What the writer thread is handed: a row to store, or a retention pass
// (delete the periods that began before cutoff).
struct ExpireBefore {
  std::int64_t cutoff = 0;
};
using HistoryItem = std::variant<Row, ExpireBefore>;

// Opens (and migrates) a connection; nullptr with why when it cannot.
using Connect = std::function<std::unique_ptr<Database>(std::string& why)>;

struct QueueOptions {
  std::size_t limit = 10000;                      // rows waiting at most
  std::chrono::milliseconds retry{5000};          // after a database error
};

class QueuedHistory final : public History {
 public:
  // The destructor stores what it can of the queue (one attempt), then stops.
  QueuedHistory(Connect connect, QueueOptions options);

  void record(Row row) override { (void)worker_.push(std::move(row)); }
  // Queues a retention pass: the writer deletes a batch of what began before
  // cutoff, queues the next batch behind the rows waiting, and so on.
  void expire(std::int64_t cutoff) { (void)worker_.push(ExpireBefore{cutoff}); }
  [[nodiscard]] HistoryStats stats() const override;
  // Waits until the queue is empty or timeout passes (tests, shutdown); true when empty.
  bool flush(std::chrono::milliseconds timeout) { return worker_.flush(timeout); }

 private:
  // On the writer thread: connects when needed, stores the batch's rows, then
  // runs its retention passes.
  bool write_batch(std::vector<HistoryItem>& batch);
  void expire_batch(std::int64_t cutoff);

  Connect connect_;
  std::unique_ptr<Database> db_;              // the writer thread's connection
  std::atomic<std::uint64_t> written_{0};     // rows stored (the worker also counts passes)
  Expired expired_;                           // the current pass so far (writer thread)
  queue::BoundedWorker<HistoryItem> worker_;  // last: its thread uses the members above
};

// A connection for these settings, migrated to the latest schema.
[[nodiscard]] std::unique_ptr<Database> connect(const Settings& settings, std::string& why);
// A connection that only reads (Database::read_only), each statement bounded by
// timeout; the schema is left as it is (the writer migrates it), and a SQLite
// file that does not exist is not created.
[[nodiscard]] std::unique_ptr<Database> connect_reader(const Settings& settings, std::chrono::milliseconds timeout,
                                                       std::string& why);
// The History for the [store] settings; nullptr for backend none.
[[nodiscard]] std::unique_ptr<QueuedHistory> make_history(const Settings& settings);

}  // namespace domainauth::store
