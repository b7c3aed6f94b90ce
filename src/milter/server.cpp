// The milter server: its listeners (net/listener.hpp), the connection cap and
// the sweep (see server.hpp); the sessions themselves are in session.cpp.
#include "milter/server.hpp"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
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

namespace {

constexpr auto kRefusalLogInterval = std::chrono::seconds(1);

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

Server::Server(asio::any_io_executor executor, ServerOptions options, HandlerFactory factory)
    : executor_(executor), shared_(std::make_shared<Shared>()), listeners_(std::move(executor), "milter") {
  shared_->options = std::move(options);
  shared_->factory = std::move(factory);
}

Server::~Server() { stop(); }

net::ListenResult Server::listen(const net::ListenAddress& address, const net::UnixSocketOptions& unix_options) {
  return listeners_.add(address, unix_options);
}

void Server::start() {
  asio::co_spawn(executor_, sweep_loop(shared_), asio::detached);
  net::Listeners::SocketExecutor socket_executor;
  if (!shared_->options.one_thread) {
    // Each session gets its own strand when several threads run the io_context.
    socket_executor = [executor = executor_] { return asio::any_io_executor(asio::make_strand(executor)); };
  }
  listeners_.start(
      [shared = shared_](net::Socket socket, std::string peer) {
        if (shared->sessions.load() >= shared->options.max_connections) {
          refuse(socket, peer, *shared);
          return;
        }
        start_session(std::move(socket), shared, std::move(peer));
      },
      std::move(socket_executor));
}

void Server::stop() {
  listeners_.close();
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


}  // namespace domainauth::milter
