// The policy service's connections and the spawn(8) stdin/stdout mode (see
// server.hpp); the sockets are net::Listeners'. The accepted clients are untrusted.
#include "policy/server.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

namespace domainauth::policy {

namespace {

// At most one log line per interval for connections refused at max_connections.
constexpr auto kRefusalLogInterval = std::chrono::seconds(1);

}  // namespace

Server::Server(asio::io_context& io, Service& service, Limits limits)
    : io_(io), service_(service), limits_(limits), listeners_(io.get_executor(), "policy") {}

bool Server::listen(const std::vector<net::ListenAddress>& listeners, unsigned socket_mode, std::string& error) {
  for (const auto& listener : listeners) {
    const auto bound = listeners_.add(listener, net::UnixSocketOptions{socket_mode, {}, {}});
    if (!bound.ok()) {
      error = bound.error;
      return false;
    }
  }
  return true;
}

void Server::start() {
  listeners_.start([this](net::Socket socket, std::string peer) {
    if (draining_) return;
    peer = "peer=" + peer;
    if (connections_.size() >= limits_.max_connections) {
      // Left in the listen queue it would wait for a slot with no bound (and
      // hold up the requests queued behind it): Postfix defers it at once instead.
      refused(peer);
      return;  // the socket closes with it
    }
    add(asio::posix::stream_descriptor(io_, socket.release()), std::move(peer));
  });
}

void Server::add(asio::posix::stream_descriptor descriptor, std::string peer) {
  auto connection = std::make_shared<Connection>(std::move(descriptor), std::nullopt, service_, limits_, std::move(peer));
  connections_.insert(connection);
  std::weak_ptr<Connection> weak = connection;
  connection->start([this, weak] {
    if (auto done = weak.lock()) finished(done);
  });
}

void Server::refused(const std::string& peer) {
  ++refused_;
  const auto now = std::chrono::steady_clock::now();
  if (now - refusal_logged_ < kRefusalLogInterval) return;
  spdlog::warn("policy {} event=connection-refused limit={} refused={} action=close", peer, limits_.max_connections,
               refused_);
  refused_ = 0;
  refusal_logged_ = now;
}

void Server::finished(const std::shared_ptr<Connection>& connection) {
  connections_.erase(connection);
  if (draining_ && connections_.empty() && on_drained_) std::exchange(on_drained_, nullptr)();
}

void Server::drain(std::function<void()> on_drained) {
  draining_ = true;
  on_drained_ = std::move(on_drained);
  listeners_.close();
  // drain() may finish connections synchronously; iterate over a copy.
  const auto current = connections_;
  for (const auto& connection : current) connection->drain();
  if (connections_.empty() && on_drained_) std::exchange(on_drained_, nullptr)();
}

bool serve_stdio(asio::io_context& io, Service& service, const Limits& limits, std::function<void()> on_finished,
                 std::string& error) {
  asio::error_code ec;
  asio::posix::stream_descriptor input(io);
  input.assign(::dup(STDIN_FILENO), ec);
  std::optional<asio::posix::stream_descriptor> output(std::in_place, io);
  if (!ec) output->assign(::dup(STDOUT_FILENO), ec);
  if (ec) {
    error = "cannot serve on standard input and output: " + ec.message();
    return false;
  }
  auto connection = std::make_shared<Connection>(std::move(input), std::move(output), service, limits, "peer=stdio");
  connection->start(std::move(on_finished));
  return true;
}

}  // namespace domainauth::policy
