// The queued History and its writer thread (see queued_history.hpp).
#include "store/queued_history.hpp"

#include <spdlog/spdlog.h>

namespace domainauth::store {
namespace {

constexpr std::uint64_t kDropLogEvery = 1000;  // one log line per this many dropped rows

}  // namespace

QueuedHistory::QueuedHistory(Connect connect, QueueOptions options)
    : connect_(std::move(connect)), options_(options), writer_([this] { run(); }) {}

QueuedHistory::~QueuedHistory() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void QueuedHistory::record(Row row) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.limit) {
      if (stats_.dropped++ % kDropLogEvery == 0) {
        spdlog::warn("event=history_dropped dropped={} queued={} reason=\"queue full (store.queue_limit) or database "
                     "down\"",
                     stats_.dropped, queue_.size());
      }
      return;
    }
    queue_.push_back(std::move(row));
  }
  wake_.notify_one();
}

HistoryStats QueuedHistory::stats() const {
  std::lock_guard lock(mutex_);
  auto out = stats_;
  out.queued = queue_.size();
  return out;
}

bool QueuedHistory::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return drained_.wait_for(lock, timeout, [&] { return queue_.empty(); });
}

// Copies a batch from the front (only this thread removes rows), stores it,
// then removes it; on an error the rows stay queued for the next attempt.
bool QueuedHistory::write_batch(std::unique_ptr<Database>& db) {
  std::vector<Row> batch;
  {
    std::lock_guard lock(mutex_);
    const auto n = std::min(queue_.size(), kBatchRows);
    batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  if (!db) {
    std::string why;
    db = connect_(why);
    if (!db) {
      spdlog::error("event=history_unavailable queued={} reason=\"{}\"", batch.size(), why);
      return false;
    }
  }
  if (auto error = insert_rows(*db, batch)) {
    spdlog::error("event=history_write_failed rows={} reason=\"{}\"", batch.size(), *error);
    db.reset();
    return false;
  }
  std::lock_guard lock(mutex_);
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(batch.size()));
  stats_.written += batch.size();
  if (queue_.empty()) drained_.notify_all();
  return true;
}

void QueuedHistory::run() {
  std::unique_ptr<Database> db;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    const bool last_attempt = stopping_;
    lock.unlock();
    const bool ok = write_batch(db);
    lock.lock();
    if (!ok) {
      if (last_attempt) {
        stats_.dropped += queue_.size();
        spdlog::error("event=history_dropped dropped={} reason=\"database unavailable at shutdown\"", queue_.size());
        queue_.clear();
        drained_.notify_all();
        return;
      }
      wake_.wait_for(lock, options_.retry, [&] { return stopping_; });
    }
  }
}

std::unique_ptr<Database> connect(const Settings& settings, std::string& why) {
  auto db = settings.backend == Backend::postgresql ? open_postgresql(settings.postgresql, why)
                                                    : open_sqlite(settings.sqlite_path, why);
  if (!db) return nullptr;
  if (auto error = migrate(*db)) {
    why = *error;
    return nullptr;
  }
  return db;
}

std::unique_ptr<QueuedHistory> make_history(const Settings& settings) {
  if (settings.backend == Backend::none) return nullptr;
  return std::make_unique<QueuedHistory>([settings](std::string& why) { return connect(settings, why); },
                                         QueueOptions{settings.queue_limit, std::chrono::milliseconds{5000}});
}

}  // namespace domainauth::store
