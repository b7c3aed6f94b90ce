// ThreadLoad: a spinning thread reads as busy, a sleeping one as idle, and a
// sample within the window repeats the last figure.
#include "engine/thread_load.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace domainauth::engine {
namespace {

using namespace std::chrono_literals;

void spin(std::chrono::milliseconds how_long) {
  const auto end = std::chrono::steady_clock::now() + how_long;
  volatile unsigned sink = 0;
  while (std::chrono::steady_clock::now() < end) sink = sink + 1;
}

TEST(ThreadLoad, ZeroAtTheFirstSample) {
  ThreadLoad load;
  EXPECT_EQ(load.busy(), 0);
}

TEST(ThreadLoad, SleepingIsIdleAndSpinningIsBusy) {
  ThreadLoad load;
  (void)load.busy();
  std::this_thread::sleep_for(ThreadLoad::kWindow * 3);
  EXPECT_LT(load.busy(), 0.2);
  spin(ThreadLoad::kWindow * 3);
  // The CPU clock counts only while the thread runs: other processes on the
  // cores may take some of the spin's time, not most of it.
  EXPECT_GT(load.busy(), 0.3);
}

TEST(ThreadLoad, WithinTheWindowTheLastFigureStands) {
  ThreadLoad load;
  (void)load.busy();
  spin(ThreadLoad::kWindow * 2);
  const double busy = load.busy();
  std::this_thread::sleep_for(1ms);
  EXPECT_EQ(load.busy(), busy);
}

}  // namespace
}  // namespace domainauth::engine
