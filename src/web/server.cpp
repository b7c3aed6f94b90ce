// The web listener's connections (server.hpp): one coroutine per connection,
// on the event loop's thread.
#include "web/server.hpp"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace domainauth::web {

using Socket = net::Socket;

constexpr auto kRefusalLogInterval = std::chrono::seconds(1);

struct Server::Shared {
  std::shared_ptr<const Router> router;
  ServerOptions options;
  std::size_t connections = 0;
  std::uint64_t refused = 0;  // since the last log line
  std::chrono::steady_clock::time_point refusal_logged{};
};

namespace {

// A response on its way from the router: a deferred page fills it in later
// and wakes the connection by cancelling the timer.
struct Pending {
  explicit Pending(const asio::any_io_executor& executor) : wake(executor, asio::steady_timer::time_point::max()) {}
  std::optional<Response> response;
  asio::steady_timer wake;
};

// Reads one request head, answers it, closes. The timer closes the socket when
// the client is too slow, or the page too slow to answer, which ends the read,
// the wait or the write with an error.
asio::awaitable<void> serve(Socket socket, std::shared_ptr<Server::Shared> shared) {
  ++shared->connections;
  struct Release {
    Server::Shared& shared;
    ~Release() { --shared.connections; }
  } release{*shared};
  auto pending = std::make_shared<Pending>(socket.get_executor());
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(shared->options.timeout);
  deadline.async_wait([&socket, pending](const asio::error_code& ec) {
    if (ec) return;  // cancelled: the connection ended first
    asio::error_code ignored;
    socket.close(ignored);
    pending->wake.cancel();
  });
  std::string buffer;
  asio::error_code ec;
  const std::size_t head = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, kMaxRequestHead),
                                                           "\r\n\r\n", asio::redirect_error(asio::use_awaitable, ec));
  if (ec == asio::error::not_found) {  // the buffer filled without an empty line
    pending->response = error_response(431, "request head over " + std::to_string(kMaxRequestHead) + " octets");
  } else if (ec) {
    spdlog::debug("web: event=request_unread detail=\"{}\"", ec.message());
    co_return;
  } else {
    const Parsed parsed = parse_request(std::string_view(buffer).substr(0, head));
    shared->router->answer(parsed, [pending](Response response) {
      pending->response = std::move(response);
      pending->wake.cancel();
    });
    if (!pending->response) co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!pending->response) {
      spdlog::warn("web: event=request_timeout path={} timeout_ms={} action=close", parsed.request->path,
                   shared->options.timeout.count());
      co_return;
    }
    if (parsed.request) {
      spdlog::debug("web: event=request method={} path={} status={}", parsed.request->method, parsed.request->path,
                    pending->response->status);
    }
  }
  const std::string out = serialize(*pending->response);
  co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
  socket.shutdown(Socket::shutdown_both, ec);
  socket.close(ec);
  deadline.cancel();
}

void refuse(Socket& socket, Server::Shared& shared) {
  ++shared.refused;
  const auto now = std::chrono::steady_clock::now();
  if (now - shared.refusal_logged >= kRefusalLogInterval) {
    spdlog::warn("web: event=connection_refused limit={} refused={} action=close", shared.options.max_connections,
                 shared.refused);
    shared.refused = 0;
    shared.refusal_logged = now;
  }
  asio::error_code ec;
  socket.close(ec);
}

}  // namespace

Server::Server(asio::any_io_executor executor, std::shared_ptr<const Router> router, ServerOptions options)
    : shared_(std::make_shared<Shared>()), listeners_(std::move(executor), "web") {
  shared_->router = std::move(router);
  shared_->options = options;
}

Server::~Server() { stop(); }

net::ListenResult Server::listen(const net::ListenAddress& address) { return listeners_.add(address); }

void Server::start() {
  listeners_.start([shared = shared_](Socket socket, std::string /*peer*/) {
    if (shared->connections >= shared->options.max_connections) {
      refuse(socket, *shared);
      return;
    }
    const auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket), shared), asio::detached);
  });
}

void Server::stop() { listeners_.close(); }

std::size_t Server::connections() const { return shared_->connections; }

}  // namespace domainauth::web
