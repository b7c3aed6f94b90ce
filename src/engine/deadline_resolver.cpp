// Per-message DNS deadline (see deadline_resolver.hpp).
#include "engine/deadline_resolver.hpp"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <map>
#include <optional>
#include <string>

namespace domainauth::engine {

struct DeadlineResolver::State {
  State(asio::any_io_executor exec, std::shared_ptr<dns::Resolver> resolver)
      : executor(std::move(exec)), inner(std::move(resolver)) {}

  asio::any_io_executor executor;
  std::shared_ptr<dns::Resolver> inner;
  std::map<std::uint64_t, Handler> pending;  // query number -> its handler
  std::uint64_t next = 0;
  bool expired = false;
  std::optional<asio::steady_timer> timer;
  std::chrono::milliseconds limit{0};

  void answer_timeout(Handler handler) const {
    dns::Answer answer;
    answer.status = dns::Status::timeout;
    answer.detail = "message DNS deadline of " + std::to_string(limit.count()) + " ms passed";
    asio::post(executor, [handler = std::move(handler), answer = std::move(answer)]() mutable {
      handler(std::move(answer));
    });
  }

  void expire() {
    expired = true;
    auto handlers = std::exchange(pending, {});
    for (auto& [number, handler] : handlers) answer_timeout(std::move(handler));
  }
};

DeadlineResolver::DeadlineResolver(asio::any_io_executor executor, std::shared_ptr<dns::Resolver> inner)
    : state_(std::make_shared<State>(std::move(executor), std::move(inner))) {}

DeadlineResolver::~DeadlineResolver() {
  if (state_->timer) state_->timer->cancel();
}

void DeadlineResolver::query(std::string_view name, dns::RecordType type, Handler handler) {
  if (state_->expired) {
    state_->answer_timeout(std::move(handler));
    return;
  }
  const auto number = state_->next++;
  state_->pending.emplace(number, std::move(handler));
  state_->inner->query(name, type, [state = state_, number](dns::Answer answer) {
    auto it = state->pending.find(number);
    if (it == state->pending.end()) return;  // already answered by the deadline
    auto waiting = std::move(it->second);
    state->pending.erase(it);
    waiting(std::move(answer));
  });
}

void DeadlineResolver::expire_after(std::chrono::milliseconds limit) {
  state_->limit = limit;
  state_->timer.emplace(state_->executor, limit);
  state_->timer->async_wait([weak = std::weak_ptr<State>(state_)](const asio::error_code& ec) {
    if (ec) return;
    if (auto state = weak.lock()) state->expire();
  });
}

}  // namespace domainauth::engine
