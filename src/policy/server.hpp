// The policy service's listeners: inet: and unix: sockets accepted on the Asio
// event loop, one Connection each (coroutines, no thread per connection), at
// most Limits::max_connections at a time (one more is closed at once, logged:
// Postfix defers that request); drain() for a clean stop. Also the
// stdin/stdout form for Postfix's spawn(8).
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "net/listener.hpp"
#include "policy/connection.hpp"

namespace domainauth::policy {

class Server {
 public:
  Server(asio::io_context& io, Service& service, Limits limits);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener (net::Listeners: a stale unix socket file is replaced,
  // a live one is not; the socket gets socket_mode). False with a message naming
  // the listener when one fails.
  [[nodiscard]] bool listen(const std::vector<net::ListenAddress>& listeners, unsigned socket_mode,
                            std::string& error);
  // Paths of the bound unix sockets (to hand them to the unprivileged user).
  [[nodiscard]] std::vector<std::string> unix_paths() const { return listeners_.unix_paths(); }
  // "inet:127.0.0.1:10023"-style names of what is bound (inet ports as bound).
  [[nodiscard]] std::vector<std::string> bound_names() const { return listeners_.bound_names(); }

  void start();
  void set_limits(const Limits& limits) { limits_ = limits; }
  // Stops accepting, closes idle connections, lets requests in progress be
  // answered; on_drained runs when the last connection has gone.
  void drain(std::function<void()> on_drained);
  [[nodiscard]] std::size_t connections() const { return connections_.size(); }

 private:
  void add(asio::posix::stream_descriptor descriptor, std::string peer);
  void finished(const std::shared_ptr<Connection>& connection);
  // Counts a connection closed at max_connections; logs at most once a second.
  void refused(const std::string& peer);

  asio::io_context& io_;
  Service& service_;
  Limits limits_;
  net::Listeners listeners_;  // closed by drain() and at destruction (our socket files removed)
  std::unordered_set<std::shared_ptr<Connection>> connections_;
  std::uint64_t refused_ = 0;  // since the last log line
  std::chrono::steady_clock::time_point refusal_logged_{};
  bool draining_ = false;
  std::function<void()> on_drained_;
};

// Serves one client on standard input and output (master.cf spawn); on_finished
// runs when it has closed. False with a message when they cannot be used.
[[nodiscard]] bool serve_stdio(asio::io_context& io, Service& service, const Limits& limits,
                               std::function<void()> on_finished, std::string& error);

}  // namespace domainauth::policy
