// ThreadLoad: the calling thread's CPU time over wall time (see thread_load.hpp).
#include "engine/thread_load.hpp"

#include <time.h>

namespace domainauth::engine {

namespace {

std::chrono::nanoseconds thread_cpu() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

double ThreadLoad::busy() {
  const auto wall = std::chrono::steady_clock::now();
  if (wall_ != std::chrono::steady_clock::time_point{} && wall - wall_ < kWindow) return busy_;
  const auto cpu = thread_cpu();
  if (wall_ != std::chrono::steady_clock::time_point{}) {
    busy_ = std::chrono::duration<double>(cpu - cpu_).count() / std::chrono::duration<double>(wall - wall_).count();
  }
  wall_ = wall;
  cpu_ = cpu;
  return busy_;
}

}  // namespace domainauth::engine
