// BoundedWorker: items are handled in order on the worker thread, push never
// blocks, a full queue drops with a counter, the destructor finishes the queue.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "queue/bounded_worker.hpp"

namespace domainauth::queue {
namespace {

using namespace std::chrono_literals;

TEST(BoundedWorker, HandlesItemsInOrderOffTheCallersThread) {
  std::vector<int> seen;
  std::thread::id worker_id;
  BoundedWorker<int> worker("test", 10, [&](int& n) {
    seen.push_back(n);
    worker_id = std::this_thread::get_id();
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
  BoundedWorker<int> worker("test", 2, [&](int&) {
    released.wait();
    ++handled;
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
    BoundedWorker<int> worker("test", 100, [&](int&) {
      std::this_thread::sleep_for(1ms);
      ++handled;
    });
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(worker.push(i));
  }
  EXPECT_EQ(handled, 20);
}

TEST(BoundedWorker, HandlerExceptionIsLoggedAndTheWorkerGoesOn) {
  std::atomic<int> handled{0};
  BoundedWorker<int> worker("test", 10, [&](int& n) {
    if (n == 1) throw std::runtime_error("boom");
    ++handled;
  });
  EXPECT_TRUE(worker.push(1));
  EXPECT_TRUE(worker.push(2));
  ASSERT_TRUE(worker.flush(5s));
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(worker.stats().handled, 2u);
}

}  // namespace
}  // namespace domainauth::queue
