// How busy the calling thread has been lately: its CPU time over the wall time
// of the last window. The end of message asks it before an RSA signature: on an
// event loop that is mostly idle the signature is made there (a hand-off to the
// crypto pool and back costs more than it saves), on a busy one it goes to the
// pool, so that the other sessions do not wait behind it and a second core signs
// (issue 20). A sample costs one clock_gettime of the thread's CPU clock.
#pragma once

#include <chrono>

namespace domainauth::engine {

class ThreadLoad {
 public:
  // A window is at least this long; a sample within it returns the last figure.
  static constexpr std::chrono::milliseconds kWindow{20};

  // The calling thread's busy fraction (0 to about 1) over the last completed
  // window; 0 at the first sample. Call it from one thread only.
  [[nodiscard]] double busy();

 private:
  std::chrono::steady_clock::time_point wall_{};
  std::chrono::nanoseconds cpu_{0};
  double busy_ = 0;
};

}  // namespace domainauth::engine
