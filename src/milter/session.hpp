// One milter connection (internal to the server): reads packets, hands them to
// its Conversation and writes the replies (see server.hpp for the behaviour).
// Its timeouts and SMFIR_PROGRESS are kept by the server's sweep, one timer for
// all sessions (no timer per session or per message). Reads untrusted bytes
// from the connected peer.
#pragma once

#include <asio/generic/stream_protocol.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <limits>
#include <unordered_set>

#include "milter/server.hpp"

namespace domainauth::milter {

// What the server knows of a live session, for the sweep and for stop(). The
// session owns it and unregisters it (under Shared::mutex) before it goes.
struct SessionClock {
  using Clock = std::chrono::steady_clock;
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  // When the session must be closed, and (while its end of message runs) when
  // the next SMFIR_PROGRESS is due: Clock ticks since its epoch; kNever: none.
  std::atomic<std::int64_t> deadline{kNever};
  std::atomic<std::int64_t> progress_due{kNever};
  // Posts to the session's own executor: what the sweep found due, or stop().
  enum class Signal : std::uint8_t { due, drain };
  std::function<void(Signal)> post;

  static std::int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
};

struct Server::Shared {
  ServerOptions options;
  HandlerFactory factory;
  std::atomic<std::size_t> sessions{0};

  std::mutex mutex;
  bool stopping = false;  // stop() was called: sessions registered from now on are drained at once
  std::unordered_set<SessionClock*> live;
  // Connections refused at max_connections since the last log line, and when it was.
  std::uint64_t refused = 0;
  std::chrono::steady_clock::time_point refusal_logged{};

  void add(SessionClock& clock);
  void remove(SessionClock& clock);
  // Marks the server stopping and drains every session.
  void drain_all();
  // One pass of the sweep: signals every session whose deadline or progress is due.
  void sweep(SessionClock::Clock::time_point now);
  // How often the sweep runs: a quarter of the shortest timeout, 10 ms to 1 s.
  [[nodiscard]] std::chrono::milliseconds sweep_interval() const;
};

using Socket = net::Socket;

// Starts a session on the socket's executor (give it a strand when the
// io_context runs on several threads). peer names the MTA in log lines.
void start_session(Socket socket, std::shared_ptr<Server::Shared> shared, std::string peer);

}  // namespace domainauth::milter
