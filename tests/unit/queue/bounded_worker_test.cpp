// BoundedWorker: items are handled in order on the worker thread, push never
// blocks, a full queue drops with a counter, a failed batch is retried, the
// destructor finishes the queue and counts what still fails, gather makes one batch
// of the items of its time; stop() bounds the drain by the drain time and tells a
// blocking handler its deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "queue/bounded_worker.hpp"

namespace domainauth::queue {
namespace {

using namespace std::chrono_literals;

// Unbounded at stop, as the history writer.
WorkerOptions options(std::size_t limit, std::size_t batch, std::chrono::milliseconds retry) {
  return {.limit = limit, .batch = batch, .retry = retry, .limit_key = "test.limit", .drain_key = ""};
}

TEST(BoundedWorker, HandlesItemsInOrderOffTheCallersThread) {
  std::vector<int> seen;
  std::thread::id worker_id;
  BoundedWorker<int> worker("test", options(10, 1, 5s), [&](std::vector<int>& batch) {
    seen.push_back(batch.at(0));
    worker_id = std::this_thread::get_id();
    return true;
  });
  EXPECT_TRUE(worker.push(1));
  EXPECT_TRUE(worker.push(2));
  ASSERT_TRUE(worker.flush(5s));
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_NE(worker_id, std::this_thread::get_id());
  EXPECT_EQ(worker.stats().handled, 2u);
}

TEST(BoundedWorker, FullQueueDropsWithCounterInsteadOfBlocking) {
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> handled{0};
  BoundedWorker<int> worker("test", options(2, 1, 5s), [&](std::vector<int>&) {
    released.wait();
    ++handled;
    return true;
  });
  EXPECT_TRUE(worker.push(1));  // in hand (blocked) or queued
  EXPECT_TRUE(worker.push(2));
  EXPECT_FALSE(worker.push(3));  // limit 2 counts the one in hand
  EXPECT_FALSE(worker.push(4));
  EXPECT_EQ(worker.stats().dropped, 2u);
  EXPECT_EQ(worker.stats().queued, 2u);
  release.set_value();
  ASSERT_TRUE(worker.flush(5s));
  EXPECT_EQ(handled, 2);
  EXPECT_TRUE(worker.push(5));  // room again
}

TEST(BoundedWorker, DestructorFinishesWhatIsQueued) {
  std::atomic<int> handled{0};
  {
    BoundedWorker<int> worker("test", options(100, 3, 5s), [&](std::vector<int>& batch) {
      std::this_thread::sleep_for(1ms);
      handled += static_cast<int>(batch.size());
      return true;
    });
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(worker.push(i));
  }
  EXPECT_EQ(handled, 20);
}

TEST(BoundedWorker, HandlerExceptionIsLoggedAndTheWorkerGoesOn) {
  std::atomic<int> handled{0};
  BoundedWorker<int> worker("test", options(10, 1, 5s), [&](std::vector<int>& batch) -> bool {
    if (batch.at(0) == 1) throw std::runtime_error("boom");
    ++handled;
    return true;
  });
  EXPECT_TRUE(worker.push(1));
  EXPECT_TRUE(worker.push(2));
  ASSERT_TRUE(worker.flush(5s));
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(worker.stats().handled, 2u);
}

TEST(BoundedWorker, FailedBatchStaysAtTheFrontAndIsRetriedInOrder) {
  std::atomic<bool> up{false};
  std::vector<int> seen;
  BoundedWorker<int> worker("test", options(10, 2, 10ms), [&](std::vector<int>& batch) {
    if (!up) return false;
    seen.insert(seen.end(), batch.begin(), batch.end());
    return true;
  });
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(worker.push(i));
  EXPECT_FALSE(worker.flush(50ms));
  EXPECT_EQ(worker.stats().queued, 5u);
  up = true;
  ASSERT_TRUE(worker.flush(5s));
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(worker.stats().handled, 5u);
}

TEST(BoundedWorker, StillFailingAtShutdownIsDroppedAndCountedWithoutWaitingForTheRetry) {
  std::atomic<int> attempts{0};
  const auto start = std::chrono::steady_clock::now();
  {
    BoundedWorker<int> worker("test", options(10, 10, 10s), [&](std::vector<int>&) {
      ++attempts;
      return false;
    });
    ASSERT_TRUE(worker.push(1));
    ASSERT_TRUE(worker.push(2));
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_GE(attempts, 1);
}

TEST(BoundedWorker, StopDropsWhatIsLeftAfterTheDrainTimeAndCountsIt) {
  std::atomic<int> handled{0};
  auto drained = options(100, 1, 5s);
  drained.drain = 300ms;
  drained.drain_key = "test.drain";
  BoundedWorker<int> worker("test", drained, [&](std::vector<int>&) {
    std::this_thread::sleep_for(100ms);  // a slow relay: 10 items would take a second
    ++handled;
    return true;
  });
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(worker.push(i));
  const auto start = std::chrono::steady_clock::now();
  worker.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  const auto stats = worker.stats();
  EXPECT_GE(handled, 2);
  EXPECT_LT(handled, 10);
  EXPECT_EQ(stats.handled + stats.dropped, 10u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_FALSE(worker.push(11));  // stopped: dropped and counted
  EXPECT_EQ(worker.stats().dropped, stats.dropped + 1);
}

TEST(BoundedWorker, DeadlineTellsABlockingHandlerWhenToGiveUp) {
  std::atomic<bool> started{false};
  auto drained = options(10, 1, 5s);
  drained.drain = 200ms;
  drained.drain_key = "test.drain";
  BoundedWorker<int> worker("test", drained, [&](std::vector<int>&) {
    started = true;
    while (std::chrono::steady_clock::now() < worker.deadline()) std::this_thread::sleep_for(10ms);
    return true;  // gave up at the deadline (a real handler reports its failure)
  });
  EXPECT_EQ(worker.deadline(), std::chrono::steady_clock::time_point::max());
  ASSERT_TRUE(worker.push(1));
  ASSERT_TRUE(worker.push(2));
  while (!started) std::this_thread::sleep_for(1ms);
  const auto start = std::chrono::steady_clock::now();
  worker.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(worker.stats().dropped, 1u);  // item 2: the deadline passed before its turn
}

// gather: the items pushed within it after a first one reach the handler in
// one batch (one transaction for the history); stop() does not wait it out.
TEST(BoundedWorker, GatherHandsTheItemsOfItsTimeInOneBatch) {
  std::mutex mutex;
  std::vector<std::size_t> batches;
  auto gathering = options(100, 50, 5s);
  gathering.gather = 300ms;
  BoundedWorker<int> worker("test", gathering, [&](std::vector<int>& batch) {
    const std::lock_guard lock(mutex);
    batches.push_back(batch.size());
    return true;
  });
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(worker.push(i));
  ASSERT_TRUE(worker.flush(5s));
  {
    const std::lock_guard lock(mutex);
    EXPECT_EQ(batches, (std::vector<std::size_t>{5}));
  }
  ASSERT_TRUE(worker.push(5));  // a new gathering, ended by stop()
  const auto begin = std::chrono::steady_clock::now();
  worker.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 250ms);
  EXPECT_EQ(worker.stats().handled, 6u);
}

// A full batch does not wait for the rest of the gathering.
TEST(BoundedWorker, GatherEndsWhenABatchIsFull) {
  std::atomic<int> handled{0};
  auto gathering = options(100, 4, 5s);
  gathering.gather = 10s;
  BoundedWorker<int> worker("test", gathering, [&](std::vector<int>& batch) {
    handled += static_cast<int>(batch.size());
    return true;
  });
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(worker.push(i));
  EXPECT_TRUE(worker.flush(2s));
  EXPECT_EQ(handled, 4);
}

}  // namespace
}  // namespace domainauth::queue
