// History retention on SQLite: the shared contract (support/retention_check.hpp)
// and the daemon's way, a pass run by the queued writer between the rows it
// stores, a batch at a time.
#include <gtest/gtest.h>

#include "store/queued_history.hpp"
#include "support/retention_check.hpp"
#include "support/temp_db.hpp"

namespace domainauth::store {
namespace {

using namespace std::chrono_literals;
using testing::TempDb;

TEST(Retention, DeletesWholeOldDaysInBatchesAndKeepsTheRecordOfKeptDays) {
  std::string why;
  const TempDb path("retention");
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  check_retention_deletes_whole_old_days_in_batches(*db);
}

TEST(Retention, CutoffIsTheStartOfTheOldestDayKept) {
  // 2026-09-21 14:13:20 UTC, 1 day kept before today: 2026-09-20 00:00 UTC.
  EXPECT_EQ(retention_cutoff(1790000000, 1), 1789948800 - 86400);
  EXPECT_EQ(retention_cutoff(1789948800, 1), 1789948800 - 86400);  // today's first second
}

// More expired rows than a batch: the writer deletes kExpireBatch, queues the
// next batch behind the rows recorded meanwhile, and so on until done.
TEST(Retention, TheQueuedWriterExpiresBetweenRowsUntilDone) {
  const TempDb path("retention-queued");
  std::string why;
  auto db = open_sqlite(path, why);
  ASSERT_TRUE(db) << why;
  ASSERT_EQ(migrate(*db), std::nullopt);
  constexpr std::int64_t kNow = 1790000000;
  const auto cutoff = retention_cutoff(kNow, 30);
  std::vector<Row> old(2 * kExpireBatch + 7, retention_row(cutoff - 3600));
  ASSERT_EQ(insert_rows(*db, old), std::nullopt);

  Settings settings;
  settings.sqlite_path = path;
  auto history = make_history(settings);
  history->expire(cutoff);
  for (int i = 0; i < 50; ++i) history->record(retention_row(kNow + i));
  ASSERT_TRUE(history->flush(30s));
  EXPECT_EQ(history->stats().written, 50u);  // passes are not rows
  EXPECT_EQ(history->stats().dropped, 0u);
  EXPECT_EQ(count(*db, "messages"), "50");
  EXPECT_EQ(count(*db, "dkim_results"), "100");
}

}  // namespace
}  // namespace domainauth::store
