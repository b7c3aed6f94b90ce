// The History the milter uses: rows go into a bounded queue and a writer
// thread stores them in batches, so mail never waits for the database. When
// the queue is full, or the database is down long enough for it to fill, rows
// are dropped with a counter and a log line. No untrusted input.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "store/database.hpp"
#include "store/history.hpp"
#include "store/settings.hpp"

namespace domainauth::store {

inline constexpr std::size_t kBatchRows = 200;  // rows per transaction

// Opens (and migrates) a connection; nullptr with why when it cannot.
using Connect = std::function<std::unique_ptr<Database>(std::string& why)>;

struct QueueOptions {
  std::size_t limit = 10000;                      // rows waiting at most
  std::chrono::milliseconds retry{5000};          // after a database error
};

class QueuedHistory final : public History {
 public:
  QueuedHistory(Connect connect, QueueOptions options);
  ~QueuedHistory() override;  // stores what it can of the queue (one attempt), then stops
  QueuedHistory(const QueuedHistory&) = delete;
  QueuedHistory& operator=(const QueuedHistory&) = delete;

  void record(Row row) override;
  [[nodiscard]] HistoryStats stats() const override;
  // Waits until the queue is empty or timeout passes (tests, shutdown); true when empty.
  bool flush(std::chrono::milliseconds timeout);

 private:
  void run();
  bool write_batch(std::unique_ptr<Database>& db);

  Connect connect_;
  QueueOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;     // rows queued, or stop
  std::condition_variable drained_;  // queue emptied
  std::deque<Row> queue_;
  HistoryStats stats_;
  bool stopping_ = false;
  std::thread writer_;
};

// A connection for these settings, migrated to the latest schema.
[[nodiscard]] std::unique_ptr<Database> connect(const Settings& settings, std::string& why);
// The History for the [store] settings; nullptr for backend none.
[[nodiscard]] std::unique_ptr<QueuedHistory> make_history(const Settings& settings);

}  // namespace domainauth::store
