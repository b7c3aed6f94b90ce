// The queued History and its writer thread (see queued_history.hpp).
#include "store/queued_history.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace domainauth::store {

QueuedHistory::QueuedHistory(Connect connect, QueueOptions options)
    : connect_(std::move(connect)),
      worker_("history",
              // drain: unbounded at shutdown, one last attempt per batch (the database's timeouts bound it)
              {.limit = options.limit,
               .batch = kBatchRows,
               .retry = options.retry,
               .gather = kGather,
               .limit_key = "store.queue_limit",
               .drain = std::chrono::milliseconds::max(),
               .drain_key = ""},
              [this](std::vector<HistoryItem>& batch) { return write_batch(batch); }) {}

HistoryStats QueuedHistory::stats() const {
  const auto s = worker_.stats();
  return {written_.load(), s.dropped, s.queued};
}

// Rows whose insert failed stay queued (BoundedWorker) for the next attempt;
// a retention pass that fails is given up until the next one (a day later).
bool QueuedHistory::write_batch(std::vector<HistoryItem>& batch) {
  if (!db_) {
    std::string why;
    db_ = connect_(why);
    if (!db_) {
      spdlog::error("event=history_unavailable queued={} reason=\"{}\"", batch.size(), why);
      return false;
    }
  }
  std::vector<Row> rows;  // copies: the batch must stay whole when the insert fails
  for (const auto& item : batch) {
    if (const auto* row = std::get_if<Row>(&item)) rows.push_back(*row);
  }
  if (auto error = insert_rows(*db_, rows)) {
    spdlog::error("event=history_write_failed rows={} reason=\"{}\"", rows.size(), *error);
    db_.reset();
    return false;
  }
  written_ += rows.size();
  for (const auto& item : batch) {
    if (const auto* pass = std::get_if<ExpireBefore>(&item); pass && db_) expire_batch(pass->cutoff);
  }
  return true;
}

void QueuedHistory::expire_batch(std::int64_t cutoff) {
  bool more = false;
  if (auto error = store::expire_batch(*db_, cutoff, kExpireBatch, expired_, more)) {
    spdlog::error("event=history_expire_failed messages={} sent_reports={} reason=\"{}\" note=\"tried again at the "
                  "next pass\"",
                  expired_.messages, expired_.sent_reports, *error);
    expired_ = {};
    db_.reset();
    return;
  }
  // The next batch goes behind the rows queued meanwhile; none once stop() began.
  const bool stopping = worker_.deadline() != queue::BoundedWorker<HistoryItem>::Clock::time_point::max();
  if (more && !stopping) {
    if (worker_.push(ExpireBefore{cutoff})) return;
  }
  spdlog::info("event=history_expired messages={} sent_reports={} before={}{}", expired_.messages,
               expired_.sent_reports, cutoff, more ? " note=\"not finished, continues at the next pass\"" : "");
  expired_ = {};
}

namespace {

std::unique_ptr<Database> open(const Settings& settings, std::string& why) {
  return settings.backend == Backend::postgresql ? open_postgresql(settings.postgresql, why)
                                                 : open_sqlite(settings.sqlite_path, why);
}

}  // namespace

std::unique_ptr<Database> connect_reader(const Settings& settings, std::chrono::milliseconds timeout,
                                         std::string& why) {
  std::error_code ec;
  if (settings.backend == Backend::sqlite && !std::filesystem::exists(settings.sqlite_path, ec)) {
    why = settings.sqlite_path + ": no history yet (the daemon or report ingest creates it)";
    return nullptr;
  }
  auto db = open(settings, why);
  if (!db) return nullptr;
  if (auto error = db->read_only(timeout)) {
    why = *error;
    return nullptr;
  }
  return db;
}

std::unique_ptr<Database> connect(const Settings& settings, std::string& why) {
  auto db = open(settings, why);
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
