// The web listener of `domainauth serve`: HTTP/1.1 on the Asio event loop, one
// request per connection (Connection: close), answered by a Router. Bounds, each
// ending in a decision: a request head over kMaxRequestHead octets gets 431;
// a connection that has not sent its head and read the answer within
// ServerOptions::timeout (a deferred page's wait included) is closed;
// connections beyond max_connections are closed at once (one log line a
// second at most). Binds and accepts through net::Listeners, as the milter and
// the policy service do (net/listener.hpp).
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

#include "net/listener.hpp"
#include "web/router.hpp"

namespace domainauth::web {

struct ServerOptions {
  std::size_t max_connections = 16;  // a few scrapers and browsers
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // whole connection: head in, answer out
};

class Server {
 public:
  Server(asio::any_io_executor executor, std::shared_ptr<const Router> router, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (before start()); unix: sockets get mode 0660.
  [[nodiscard]] net::ListenResult listen(const net::ListenAddress& address);
  void start();
  // Stops accepting and removes our unix socket files; answers in progress finish
  // (each bounded by the timeout).
  void stop();
  [[nodiscard]] std::size_t connections() const;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
  net::Listeners listeners_;
};

}  // namespace domainauth::web
