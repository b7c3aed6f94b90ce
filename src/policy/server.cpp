// Policy listeners and the spawn(8) stdin/stdout mode (see server.hpp). The
// accepted clients are untrusted; TCP_NODELAY keeps each small reply from
// waiting on Nagle and delayed ACKs.
#include "policy/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/address.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

namespace domainauth::policy {

namespace {

// Pause after an accept error such as EMFILE, so the loop does not spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// At most one log line per interval for connections refused at max_connections.
constexpr auto kRefusalLogInterval = std::chrono::seconds(1);

std::string peer_name(const asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "peer=unknown";
  return "peer=" + endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

bool bind_inet(asio::ip::tcp::acceptor& acceptor, asio::io_context& io, const net::ListenAddress& listener,
               std::string& error) {
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(listener.host, std::to_string(listener.port),
                                          asio::ip::resolver_base::passive | asio::ip::resolver_base::numeric_service, ec);
  if (ec || endpoints.empty()) {
    error = listener.to_string() + ": cannot resolve " + listener.host + ": " + ec.message();
    return false;
  }
  const auto endpoint = endpoints.begin()->endpoint();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) error = listener.to_string() + ": " + ec.message();
  return !ec;
}

bool bind_unix(asio::local::stream_protocol::acceptor& acceptor, const net::ListenAddress& listener, unsigned mode,
               std::string& error) {
  struct stat info {};
  // Replace a socket left by an earlier run; never remove anything else.
  if (lstat(listener.path.c_str(), &info) == 0) {
    if (!S_ISSOCK(info.st_mode)) {
      error = listener.to_string() + ": exists and is not a socket";
      return false;
    }
    ::unlink(listener.path.c_str());
  }
  asio::error_code ec;
  const asio::local::stream_protocol::endpoint endpoint(listener.path);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = listener.to_string() + ": " + ec.message();
    return false;
  }
  if (::chmod(listener.path.c_str(), mode) != 0) {
    error = listener.to_string() + ": cannot set its mode";
    return false;
  }
  return true;
}

}  // namespace

Server::Server(asio::io_context& io, Service& service, Limits limits)
    : io_(io), service_(service), limits_(limits) {}

Server::~Server() {
  for (const auto& path : unix_paths_) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      // After dropping root: the folder is not daemon.user's (README "Files at exit").
      spdlog::warn("policy event=socket-not-removed path={} error=\"{}\"", path, std::strerror(errno));
    }
  }
}

bool Server::listen(const std::vector<net::ListenAddress>& listeners, unsigned socket_mode, std::string& error) {
  for (const auto& listener : listeners) {
    if (listener.kind == net::ListenAddress::Kind::inet) {
      auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
      if (!bind_inet(*acceptor, io_, listener, error)) return false;
      tcp_.push_back(std::move(acceptor));
    } else {
      auto acceptor = std::make_unique<asio::local::stream_protocol::acceptor>(io_);
      if (!bind_unix(*acceptor, listener, socket_mode, error)) return false;
      unix_.push_back(std::move(acceptor));
      unix_paths_.push_back(listener.path);
    }
  }
  return true;
}

std::vector<std::string> Server::bound_names() const {
  std::vector<std::string> names;
  for (const auto& acceptor : tcp_) {
    asio::error_code ec;
    const auto endpoint = acceptor->local_endpoint(ec);
    net::ListenAddress listener{net::ListenAddress::Kind::inet, endpoint.address().to_string(), endpoint.port(), {}};
    names.push_back(listener.to_string());
  }
  for (const auto& path : unix_paths_) names.push_back("unix:" + path);
  return names;
}

void Server::start() {
  for (auto& acceptor : tcp_) asio::co_spawn(io_, accept_loop(*acceptor), asio::detached);
  for (auto& acceptor : unix_) asio::co_spawn(io_, accept_loop(*acceptor), asio::detached);
}

template <typename Acceptor>
asio::awaitable<void> Server::accept_loop(Acceptor& acceptor) {
  while (!draining_) {
    asio::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || draining_) break;
    if (ec) {
      spdlog::error("policy event=accept-failed error=\"{}\"", ec.message());
      asio::steady_timer pause(io_, kAcceptRetryDelay);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    std::string peer = "peer=unix";
    if constexpr (std::is_same_v<Acceptor, asio::ip::tcp::acceptor>) {
      socket.set_option(asio::ip::tcp::no_delay(true), ec);
      peer = peer_name(socket);
    }
    if (connections_.size() >= limits_.max_connections) {
      // Left in the listen queue it would wait for a slot with no bound (and
      // hold up the requests queued behind it): Postfix defers it at once instead.
      refused(peer);
      socket.close(ec);
      continue;
    }
    add(asio::posix::stream_descriptor(io_, socket.release()), std::move(peer));
  }
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
  asio::error_code ignored;
  for (auto& acceptor : tcp_) acceptor->close(ignored);
  for (auto& acceptor : unix_) acceptor->close(ignored);
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
