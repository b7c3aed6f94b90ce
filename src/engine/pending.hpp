// Work started now and joined later on the same event loop: the milter starts
// SPF at MAIL FROM and collects its outcome at end of message. start() spawns
// the coroutine detached; the shared state keeps the result alive even when
// the message (or the connection) is gone before it finishes, so an abandoned
// job simply completes into nothing. join() waits without blocking the loop.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace domainauth::engine {

template <class T>
class Pending {
 public:
  Pending() = default;

  // Runs work on executor; work must own (or share) everything it uses.
  void start(const asio::any_io_executor& executor, asio::awaitable<T> work) {
    state_ = std::make_shared<State>();
    asio::co_spawn(executor, run(state_, std::move(work)), asio::detached);
  }
  [[nodiscard]] bool started() const { return state_ != nullptr; }
  // Forgets the job (it runs on to its end, unobserved).
  void reset() { state_.reset(); }

  // The result; rethrows what the work threw. Call once, after start().
  asio::awaitable<T> join() {
    State* state = state_.get();
    if (!state->value && !state->error) {
      // No owning captures in the co_await expression (g++ 12, see dns/await.hpp).
      co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
          [state](auto handler) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            state->waiter = [shared]() { asio::post(std::move(*shared)); };
          },
          asio::use_awaitable);
    }
    if (state->error) std::rethrow_exception(state->error);
    co_return std::move(*state->value);
  }

 private:
  struct State {
    std::optional<T> value;
    std::exception_ptr error;
    std::function<void()> waiter;
  };

  static asio::awaitable<void> run(std::shared_ptr<State> state, asio::awaitable<T> work) {
    try {
      state->value.emplace(co_await std::move(work));
    } catch (...) {
      state->error = std::current_exception();
    }
    if (state->waiter) std::exchange(state->waiter, nullptr)();
  }

  std::shared_ptr<State> state_;
};

}  // namespace domainauth::engine
