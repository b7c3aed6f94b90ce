// The queued History and its writer thread (see queued_history.hpp).
#include "store/queued_history.hpp"

#include <spdlog/spdlog.h>

namespace domainauth::store {

QueuedHistory::QueuedHistory(Connect connect, QueueOptions options)
    : connect_(std::move(connect)),
      worker_("history",
              // drain: unbounded at shutdown, one last attempt per batch (the database's timeouts bound it)
              {options.limit, kBatchRows, options.retry, "store.queue_limit", std::chrono::milliseconds::max(), ""},
              [this](std::vector<Row>& batch) { return write_batch(batch); }) {}

HistoryStats QueuedHistory::stats() const {
  const auto s = worker_.stats();
  return {s.handled, s.dropped, s.queued};
}

// A failed batch stays queued (BoundedWorker) for the next attempt.
bool QueuedHistory::write_batch(std::vector<Row>& batch) {
  if (!db_) {
    std::string why;
    db_ = connect_(why);
    if (!db_) {
      spdlog::error("event=history_unavailable queued={} reason=\"{}\"", batch.size(), why);
      return false;
    }
  }
  if (auto error = insert_rows(*db_, batch)) {
    spdlog::error("event=history_write_failed rows={} reason=\"{}\"", batch.size(), *error);
    db_.reset();
    return false;
  }
  return true;
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
