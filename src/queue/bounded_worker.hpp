// A bounded queue drained by one worker thread, for work that must never hold
// up the event loop or the mail (failure report submission): push() never
// blocks; an item that does not fit is dropped, counted and logged (one line
// per kDropLogEvery drops). The destructor lets the worker finish what is
// queued, then joins it. No untrusted input.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace domainauth::queue {

inline constexpr std::uint64_t kDropLogEvery = 1000;

struct WorkerStats {
  std::uint64_t handled = 0;  // items the handler finished
  std::uint64_t dropped = 0;  // items refused because the queue was full
  std::size_t queued = 0;     // waiting, plus the one in hand
};

template <class T>
class BoundedWorker {
 public:
  using Handler = std::function<void(T&)>;

  // name labels the log line ("event=<name>_dropped"); limit >= 1.
  BoundedWorker(std::string name, std::size_t limit, Handler handler)
      : name_(std::move(name)), limit_(limit), handler_(std::move(handler)), thread_([this] { run(); }) {}
  ~BoundedWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  BoundedWorker(const BoundedWorker&) = delete;
  BoundedWorker& operator=(const BoundedWorker&) = delete;

  // False when the item was dropped (queue full).
  bool push(T item) {
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() + in_hand_ >= limit_) {
        if (stats_.dropped++ % kDropLogEvery == 0) {
          spdlog::warn("event={}_dropped dropped={} queued={} reason=\"queue full\"", name_, stats_.dropped,
                       queue_.size() + in_hand_);
        }
        return false;
      }
      queue_.push_back(std::move(item));
    }
    wake_.notify_one();
    return true;
  }

  [[nodiscard]] WorkerStats stats() const {
    std::lock_guard lock(mutex_);
    auto out = stats_;
    out.queued = queue_.size() + in_hand_;
    return out;
  }

  // Waits until every pushed item is handled or timeout passes; true when idle.
  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [&] { return queue_.empty() && in_hand_ == 0; });
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      T item = std::move(queue_.front());
      queue_.pop_front();
      in_hand_ = 1;
      lock.unlock();
      try {
        handler_(item);
      } catch (const std::exception& e) {
        spdlog::error("event={}_failed reason=\"{}\"", name_, e.what());
      }
      lock.lock();
      in_hand_ = 0;
      ++stats_.handled;
      if (queue_.empty()) idle_.notify_all();
    }
  }

  std::string name_;
  std::size_t limit_;
  Handler handler_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // an item queued, or stop
  std::condition_variable idle_;  // queue empty, nothing in hand
  std::deque<T> queue_;
  std::size_t in_hand_ = 0;
  WorkerStats stats_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace domainauth::queue
