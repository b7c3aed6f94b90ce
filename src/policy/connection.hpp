// One policy client connection: reads requests (RequestParser), answers each
// through the Service, and enforces the idle and request timeouts (a request's
// from its first byte: a client trickling bytes gains nothing). Sockets and
// spawn(8)'s standard input/output are all driven as POSIX stream descriptors
// on the Asio event loop; no thread per connection. Reads untrusted bytes.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "policy/service.hpp"

namespace domainauth::policy {

struct Limits {
  std::chrono::milliseconds idle_timeout{600'000};
  std::chrono::milliseconds request_timeout{30'000};
  std::size_t max_connections = 1000;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // output: a separate descriptor to write to (spawn's stdout); nullopt when
  // replies go back on input (a socket).
  Connection(asio::posix::stream_descriptor input, std::optional<asio::posix::stream_descriptor> output,
             Service& service, const Limits& limits, std::string peer);

  // Serves requests until the client closes, a timeout, a protocol error or
  // drain(); on_finished runs once at the end.
  void start(std::function<void()> on_finished);
  // Close now when waiting for a request; otherwise after the current reply.
  void drain();

 private:
  enum class State : std::uint8_t { idle, reading, processing };

  asio::awaitable<void> run();
  asio::awaitable<void> watchdog();
  asio::awaitable<bool> write(std::string_view reply);
  asio::awaitable<void> linger();
  // Moves the deadline; an earlier one wakes the watchdog at once.
  void set_deadline(std::chrono::steady_clock::time_point deadline);
  void close();

  asio::posix::stream_descriptor input_;
  std::optional<asio::posix::stream_descriptor> output_;
  asio::steady_timer timer_;
  Service& service_;
  const Limits& limits_;
  std::string peer_;
  std::chrono::steady_clock::time_point deadline_;
  std::optional<std::chrono::steady_clock::time_point> request_start_;  // set while a request is partly read
  State state_ = State::idle;
  bool draining_ = false;
  bool open_ = true;
  std::function<void()> on_finished_;
};

}  // namespace domainauth::policy
