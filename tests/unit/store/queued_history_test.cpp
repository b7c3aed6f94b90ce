// The queued History: rows are written off the caller's thread, a full queue
// or a database that is down drops rows with a counter, never blocks.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "support/temp_db.hpp"
#include "store/queued_history.hpp"

namespace domainauth::store {
namespace {

using namespace std::chrono_literals;

using testing::TempDb;

Row row_at(std::int64_t time) {
  Row row;
  row.time = time;
  row.source_ip = "198.51.100.1";
  row.header_from = row.policy_domain = "example.com";
  row.result = "fail";
  row.disposition = "reject";
  return row;
}

std::vector<Row> stored(const std::string& path) {
  std::string why;
  auto db = open_sqlite(path, why);
  std::vector<Row> out;
  if (db) (void)select_rows(*db, "", 0, 1LL << 40, out);
  return out;
}

TEST(QueuedHistory, WritesEveryRowInBatches) {
  const TempDb path("writes");
  Settings settings;
  settings.sqlite_path = path;
  auto history = make_history(settings);
  constexpr int kRows = 450;  // more than two batches
  for (int i = 0; i < kRows; ++i) history->record(row_at(1790000000 + i));
  ASSERT_TRUE(history->flush(10s));
  EXPECT_EQ(history->stats().written, static_cast<std::uint64_t>(kRows));
  EXPECT_EQ(history->stats().dropped, 0u);
  EXPECT_EQ(stored(path).size(), static_cast<std::size_t>(kRows));
}

TEST(QueuedHistory, DatabaseDownKeepsRowsUpToTheLimitThenDrops) {
  std::atomic<bool> up{false};
  const TempDb path("down");
  auto connect = [&](std::string& why) -> std::unique_ptr<Database> {
    if (!up) {
      why = "test: database down";
      return nullptr;
    }
    auto db = open_sqlite(path, why);
    if (db && migrate(*db)) return nullptr;
    return db;
  };
  QueuedHistory history(connect, QueueOptions{5, 20ms});
  for (int i = 0; i < 8; ++i) history.record(row_at(1790000000 + i));  // returns at once
  EXPECT_EQ(history.stats().dropped, 3u);
  EXPECT_EQ(history.stats().queued, 5u);
  EXPECT_FALSE(history.flush(100ms));
  up = true;  // the database comes back: the queued rows are written
  ASSERT_TRUE(history.flush(10s));
  EXPECT_EQ(history.stats().written, 5u);
  const auto rows = stored(path);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows.front().time, 1790000000);
}

TEST(QueuedHistory, ShutdownWithTheDatabaseDownCountsTheLostRows) {
  auto history = std::make_unique<QueuedHistory>(
      [](std::string& why) -> std::unique_ptr<Database> {
        why = "test: database down";
        return nullptr;
      },
      QueueOptions{100, 10s});
  history->record(row_at(1));
  history->record(row_at(2));
  const auto start = std::chrono::steady_clock::now();
  history.reset();  // must not wait for the 10 s retry
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(QueuedHistory, RecordingFromManyThreadsLosesNothingBelowTheLimit) {
  const TempDb path("threads");
  Settings settings;
  settings.sqlite_path = path;
  auto history = make_history(settings);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) history->record(row_at(t * 1000 + i));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(history->flush(10s));
  EXPECT_EQ(stored(path).size(), 400u);
}

}  // namespace
}  // namespace domainauth::store
