// A bounded queue drained by one worker thread, for work that must never hold
// up the event loop or the mail (the DMARC history writer, failure report
// submission): push() never blocks; an item that does not fit is dropped,
// counted and logged (one line per kDropLogEvery drops). The handler takes
// batches from the front; a batch it could not handle (a database down) stays
// at the front and is tried again after Options::retry. stop() (and the
// destructor) lets the worker finish the queue within Options::drain, with one
// last attempt for a failing batch, after which what is left is dropped, counted
// and logged in one line; a handler that blocks (a relay that never answers)
// bounds itself by deadline(). With Options::gather the worker, woken by a
// first item, waits that long for more (or a full batch) before it calls the
// handler: one database transaction for the rows of that time instead of one
// per row, and one wake-up of the worker instead of one per push. No untrusted
// input.
#pragma once

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace domainauth::queue {

inline constexpr std::uint64_t kDropLogEvery = 1000;

struct WorkerStats {
  std::uint64_t handled = 0;  // items the handler finished
  std::uint64_t dropped = 0;  // items lost: queue full, or still failing at shutdown
  std::size_t queued = 0;     // waiting, plus those in hand
};

struct WorkerOptions {
  std::size_t limit = 1;                  // items waiting (and in hand) at most
  std::size_t batch = 1;                  // items per handler call at most
  std::chrono::milliseconds retry{5000};  // after a batch the handler could not handle
  std::chrono::milliseconds gather{0};    // after a first item, wait this long for more
  std::string limit_key;                  // the setting behind limit, for the log line
  // At stop(), the time the worker has to finish the queue; max(): unbounded
  // (the handler's own timeouts bound it). drain_key names the setting.
  std::chrono::milliseconds drain = std::chrono::milliseconds::max();
  std::string drain_key;
};

template <class T>
class BoundedWorker {
 public:
  using Clock = std::chrono::steady_clock;

  // true: the batch is done; false: keep it and try again later. An exception
  // is logged and counts as done (the item is not retried forever).
  using Handler = std::function<bool(std::vector<T>&)>;

  // name labels the log lines ("event=<name>_dropped").
  BoundedWorker(std::string name, WorkerOptions options, Handler handler)
      : name_(std::move(name)), options_(std::move(options)), handler_(std::move(handler)),
        thread_([this] { run(); }) {}
  ~BoundedWorker() { stop(); }
  BoundedWorker(const BoundedWorker&) = delete;
  BoundedWorker& operator=(const BoundedWorker&) = delete;

  // Stops taking items and waits for the worker: it handles what is queued until
  // options.drain has passed, then drops the rest (counted, one log line). Later
  // pushes are dropped. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        stopping_ = true;
        const auto now = Clock::now();
        const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now);
        deadline_ = options_.drain >= room ? Clock::time_point::max() : now + options_.drain;
      }
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // When the handler must be done: max() until stop(), then stop() + options.drain.
  // For a handler that blocks (read it now and then, from the worker thread).
  [[nodiscard]] Clock::time_point deadline() const {
    std::lock_guard lock(mutex_);
    return deadline_;
  }

  // False when the item was dropped (queue full, or stopping).
  bool push(T item) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || queue_.size() + in_hand_ >= options_.limit) {
        if (stats_.dropped++ % kDropLogEvery == 0) {
          spdlog::warn("event={}_dropped dropped={} queued={} reason=\"{}\"", name_, stats_.dropped,
                       queue_.size() + in_hand_,
                       stopping_ ? std::string("stopping") : "queue full (" + options_.limit_key + ")");
        }
        return false;
      }
      queue_.push_back(std::move(item));
      // The worker waits for a first item, or gathers until a batch is full.
      if (queue_.size() != 1 && queue_.size() != options_.batch) return true;
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
  bool handle(std::vector<T>& batch) {
    try {
      return handler_(batch);
    } catch (const std::exception& e) {
      spdlog::error("event={}_failed items={} reason=\"{}\"", name_, batch.size(), e.what());
      return true;
    }
  }

  void run() {
    // "da-<name>" in top -H, ps -L and profiles (15 characters at most).
    pthread_setname_np(pthread_self(), ("da-" + name_).substr(0, 15).c_str());
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      if (options_.gather.count() > 0) {
        wake_.wait_for(lock, options_.gather, [&] { return stopping_ || queue_.size() >= options_.batch; });
      }
      if (stopping_ && Clock::now() >= deadline_) {
        stats_.dropped += queue_.size();
        spdlog::error("event={}_dropped dropped={} reason=shutdown detail=\"not handled within {} ({} ms)\"", name_,
                      queue_.size(), options_.drain_key, options_.drain.count());
        queue_.clear();
        idle_.notify_all();
        return;
      }
      const bool last_attempt = stopping_;
      std::vector<T> batch;
      const auto n = std::min(queue_.size(), options_.batch);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      in_hand_ = n;
      lock.unlock();
      const bool done = handle(batch);
      lock.lock();
      in_hand_ = 0;
      if (done) {
        stats_.handled += n;
      } else {
        for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
        if (last_attempt) {
          stats_.dropped += queue_.size();
          spdlog::error("event={}_dropped dropped={} reason=\"still failing at shutdown\"", name_, queue_.size());
          queue_.clear();
          idle_.notify_all();
          return;
        }
        wake_.wait_for(lock, options_.retry, [&] { return stopping_; });
      }
      if (queue_.empty()) idle_.notify_all();
    }
  }

  std::string name_;
  WorkerOptions options_;
  Handler handler_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // an item queued, or stop
  std::condition_variable idle_;  // queue empty, nothing in hand
  std::deque<T> queue_;
  std::size_t in_hand_ = 0;
  WorkerStats stats_;
  bool stopping_ = false;
  Clock::time_point deadline_ = Clock::time_point::max();  // set by stop()
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace domainauth::queue
