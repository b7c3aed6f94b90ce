// A policy client connection (see connection.hpp). Untrusted input: the bytes
// the client sends, its pace (stalls are cut by timeouts) and its departure at
// any moment (a disconnect mid-request is logged and the connection dropped).
#include "policy/connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "policy/reply.hpp"

namespace domainauth::policy {

namespace {
constexpr std::size_t kReadChunk = 4096;
// Input read and dropped after a bad request before the connection is closed.
constexpr std::size_t kMaxLinger = 1024 * 1024;
}

Connection::Connection(asio::posix::stream_descriptor input, std::optional<asio::posix::stream_descriptor> output,
                       Service& service, const Limits& limits, std::string peer)
    : input_(std::move(input)),
      output_(std::move(output)),
      timer_(input_.get_executor()),
      service_(service),
      limits_(limits),
      peer_(std::move(peer)) {}

void Connection::start(std::function<void()> on_finished) {
  on_finished_ = std::move(on_finished);
  auto self = shared_from_this();
  deadline_ = std::chrono::steady_clock::now() + limits_.idle_timeout;
  timer_.expires_at(deadline_);
  asio::co_spawn(input_.get_executor(), [self] { return self->watchdog(); }, asio::detached);
  asio::co_spawn(input_.get_executor(), [self] { return self->run(); }, asio::detached);
}

void Connection::drain() {
  draining_ = true;
  if (state_ == State::idle) close();
}

void Connection::set_deadline(std::chrono::steady_clock::time_point deadline) {
  deadline_ = deadline;
  if (deadline_ < timer_.expiry()) timer_.expires_at(deadline_);  // cancels the wait: the watchdog re-arms
}

void Connection::close() {
  if (!open_) return;
  open_ = false;
  timer_.cancel();
  asio::error_code ignored;
  input_.close(ignored);
  if (output_) output_->close(ignored);
}

asio::awaitable<void> Connection::watchdog() {
  auto self = shared_from_this();
  while (open_) {
    asio::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!open_) break;
    if (std::chrono::steady_clock::now() >= deadline_) {
      spdlog::warn("policy {} event=timeout state={}", peer_, state_ == State::idle ? "idle" : "in-request");
      close();
      break;
    }
    if (timer_.expiry() <= std::chrono::steady_clock::now()) timer_.expires_at(deadline_);
  }
}

asio::awaitable<bool> Connection::write(std::string_view reply) {
  asio::error_code ec;
  auto& out = output_ ? *output_ : input_;
  co_await asio::async_write(out, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
  if (ec && open_) spdlog::info("policy {} event=write-failed error=\"{}\"", peer_, ec.message());
  co_return !ec;
}

asio::awaitable<void> Connection::linger() {
  // Closing with unread input makes the kernel send a reset, which can destroy
  // the reply before the client reads it: signal end of output, then read and
  // drop what the client still sends, for at most request_timeout and kMaxLinger bytes.
  if (!output_) ::shutdown(input_.native_handle(), SHUT_WR);
  set_deadline(std::chrono::steady_clock::now() + limits_.request_timeout);
  std::array<char, kReadChunk> buffer{};
  std::size_t dropped = 0;
  while (open_ && dropped < kMaxLinger) {
    asio::error_code ec;
    dropped += co_await input_.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();
  RequestParser parser;
  std::array<char, kReadChunk> buffer{};
  while (open_) {
    auto next = parser.next();
    if (next.kind == RequestParser::Next::Kind::request) {
      request_start_.reset();
      state_ = State::processing;
      deadline_ = std::chrono::steady_clock::time_point::max();
      const auto answer = co_await service_.handle(next.request);
      spdlog::info("policy {} {} action=\"{}\"", peer_, answer.log, answer.action);
      if (!open_ || !co_await write(format_reply(answer.action)) || draining_) break;
      state_ = State::idle;
      continue;
    }
    if (next.kind == RequestParser::Next::Kind::error) {
      spdlog::warn("policy {} event=bad-request error=\"{}\"", peer_, to_string(next.error));
      // Postfix defers on a policy server problem itself; say why, then hang up
      // (the stream cannot be resynchronised).
      if (co_await write(format_reply("451 4.3.5 malformed policy request: " + std::string(to_string(next.error))))) {
        co_await linger();
      }
      break;
    }
    state_ = parser.in_request() ? State::reading : State::idle;
    const auto now = std::chrono::steady_clock::now();
    if (state_ == State::reading) {
      if (!request_start_) request_start_ = now;
      set_deadline(*request_start_ + limits_.request_timeout);  // from the request's start, not the last byte
    } else {
      set_deadline(now + limits_.idle_timeout);
    }
    asio::error_code ec;
    const auto n =
        co_await input_.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (open_ && parser.in_request()) {
        spdlog::warn("policy {} event=disconnected-mid-request error=\"{}\"", peer_, ec.message());
      }
      break;
    }
    parser.feed(std::string_view(buffer.data(), n));
    if (state_ == State::idle) state_ = State::reading;
  }
  close();
  if (on_finished_) std::exchange(on_finished_, nullptr)();
}

}  // namespace domainauth::policy
