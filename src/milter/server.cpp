// The milter server: listeners and accept loops (see server.hpp); the sessions
// themselves are in session.cpp.
#include "milter/server.hpp"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "milter/session.hpp"

namespace domainauth::milter {

Reply MessageHandler::on_connect(const Connect& /*connect*/) { return Reply::continue_(); }
Reply MessageHandler::on_helo(const Helo& /*helo*/) { return Reply::continue_(); }
Reply MessageHandler::on_mail_from(const MailFrom& /*mail*/) { return Reply::continue_(); }
Reply MessageHandler::on_rcpt(const RcptTo& /*rcpt*/) { return Reply::continue_(); }
Reply MessageHandler::on_data() { return Reply::continue_(); }
Reply MessageHandler::on_unknown(const UnknownCommand& /*command*/) { return Reply::continue_(); }
Reply MessageHandler::on_header(const Header& /*header*/) { return Reply::continue_(); }
Reply MessageHandler::on_end_of_headers() { return Reply::continue_(); }
Reply MessageHandler::on_body(std::string_view /*chunk*/) { return Reply::continue_(); }

Server::Server(asio::any_io_executor executor, ServerOptions options, HandlerFactory factory)
    : executor_(std::move(executor)), shared_(std::make_shared<Shared>()) {
  shared_->options = std::move(options);
  shared_->factory = std::move(factory);
}

Server::~Server() { stop(); }

ListenResult Server::listen(const ListenAddress& address, const UnixSocketOptions& unix_options) {
  auto listener =
      std::make_shared<Listener>(Listener{Acceptor(executor_), address.kind == ListenAddress::Kind::inet, {}});
  auto result = open_listener(listener->acceptor, address, unix_options, listener->unix_file);
  if (result.ok()) {
    listeners_.push_back(std::move(listener));
  } else {
    listener->unix_file.remove();
  }
  return result;
}

void Server::start() {
  asio::co_spawn(executor_, sweep_loop(shared_), asio::detached);
  for (const auto& listener : listeners_) {
    asio::co_spawn(executor_, accept_loop(listener, shared_), asio::detached);
  }
}

void Server::stop() {
  for (const auto& listener : listeners_) {
    asio::error_code ec;
    listener->acceptor.close(ec);
    listener->unix_file.remove();
  }
  shared_->drain_all();
}

void Server::Shared::add(SessionClock& clock) {
  std::unique_lock lock(mutex);
  live.insert(&clock);
  if (stopping) {
    lock.unlock();
    clock.post(SessionClock::Signal::drain);
  }
}

void Server::Shared::remove(SessionClock& clock) {
  const std::lock_guard lock(mutex);
  live.erase(&clock);
}

void Server::Shared::drain_all() {
  const std::lock_guard lock(mutex);
  stopping = true;
  for (auto* clock : live) clock->post(SessionClock::Signal::drain);
}

void Server::Shared::sweep(SessionClock::Clock::time_point now) {
  const auto t = SessionClock::ticks(now);
  const std::lock_guard lock(mutex);
  for (auto* clock : live) {
    if (clock->deadline.load(std::memory_order_relaxed) <= t ||
        clock->progress_due.load(std::memory_order_relaxed) <= t) {
      clock->post(SessionClock::Signal::due);
    }
  }
}

std::chrono::milliseconds Server::Shared::sweep_interval() const {
  auto shortest = std::min({options.idle_timeout, options.stall_timeout, std::chrono::milliseconds(4000)});
  if (options.progress_interval.count() > 0) shortest = std::min(shortest, options.progress_interval);
  return std::max(shortest / 4, std::chrono::milliseconds(10));
}

// The one timer of all sessions: until stop() and the last session is gone.
asio::awaitable<void> Server::sweep_loop(std::shared_ptr<Shared> shared) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto interval = shared->sweep_interval();
  for (;;) {
    timer.expires_after(interval);
    asio::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    {
      const std::lock_guard lock(shared->mutex);
      if (shared->stopping && shared->live.empty()) break;
    }
    shared->sweep(SessionClock::Clock::now());
  }
}

std::size_t Server::active_sessions() const { return shared_->sessions.load(); }

namespace {

constexpr auto kRefusalLogInterval = std::chrono::seconds(1);

std::string describe_peer(const Socket& socket, bool tcp) {
  if (!tcp) {
    return "unix";
  }
  asio::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) {
    return "unknown";
  }
  asio::ip::tcp::endpoint peer;
  std::memcpy(peer.data(), endpoint.data(), std::min<std::size_t>(endpoint.size(), sizeof(sockaddr_in6)));
  return peer.address().to_string() + ":" + std::to_string(peer.port());
}

// Closes a connection over max_connections; one log line a second at most, with
// the count refused since the last one.
void refuse(Socket& socket, const std::string& peer, Server::Shared& shared) {
  {
    const std::lock_guard lock(shared.mutex);
    ++shared.refused;
    const auto now = std::chrono::steady_clock::now();
    if (now - shared.refusal_logged >= kRefusalLogInterval) {
      spdlog::warn("milter: peer={} event=connection_refused limit={} refused={} detail=\"milter.max_connections "
                   "sessions in progress\" action=close",
                   peer, shared.options.max_connections, shared.refused);
      shared.refused = 0;
      shared.refusal_logged = now;
    }
  }
  asio::error_code ec;
  socket.close(ec);
}

}  // namespace

asio::awaitable<void> Server::accept_loop(std::shared_ptr<Listener> listener, std::shared_ptr<Shared> shared) {
  const auto executor = listener->acceptor.get_executor();
  while (listener->acceptor.is_open()) {
    asio::error_code ec;
    // Each session gets its own strand when several threads run the io_context.
    const auto session_executor =
        shared->options.one_thread ? executor : asio::any_io_executor(asio::make_strand(executor));
    Socket socket =
        co_await listener->acceptor.async_accept(session_executor, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !listener->acceptor.is_open()) {
      break;
    }
    if (ec) {
      // Out of file descriptors and the like: say so, breathe, go on.
      spdlog::error("milter: event=accept_error detail=\"{}\"", ec.message());
      asio::steady_timer pause(executor, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (listener->tcp) {
      // Small request/reply packets: never wait for Nagle (see peers-notes.md).
      socket.set_option(asio::ip::tcp::no_delay(true), ec);
    }
    auto peer = describe_peer(socket, listener->tcp);
    if (shared->sessions.load() >= shared->options.max_connections) {
      refuse(socket, peer, *shared);
      continue;
    }
    start_session(std::move(socket), shared, std::move(peer));
  }
}

}  // namespace domainauth::milter
