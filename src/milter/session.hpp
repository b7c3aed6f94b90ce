// One milter connection (internal to the server): reads packets, keeps the
// protocol state, calls the MessageHandler and writes replies (see server.hpp for
// the behaviour). Reads untrusted bytes from the connected peer.
#pragma once

#include <asio/generic/stream_protocol.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "milter/server.hpp"

namespace domainauth::milter {

struct Server::Shared {
  ServerOptions options;
  HandlerFactory factory;
  std::atomic<std::size_t> sessions{0};

  // stop(): each session's drain (posted to its strand), by session id.
  std::mutex mutex;
  bool stopping = false;  // sessions registered from now on are drained at once
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::function<void()>> drains;
  // Connections refused at max_connections since the last log line, and when it was.
  std::uint64_t refused = 0;
  std::chrono::steady_clock::time_point refusal_logged{};

  // Registers a session's drain; the id unregisters it.
  std::uint64_t add_drain(std::function<void()> drain);
  void remove_drain(std::uint64_t id);
  // Marks the server stopping and drains every session.
  void drain_all();
};

using Socket = asio::generic::stream_protocol::socket;

// Starts a session on the socket's executor (give it a strand when the
// io_context runs on several threads). peer names the MTA in log lines.
void start_session(Socket socket, std::shared_ptr<Server::Shared> shared, std::string peer);

}  // namespace domainauth::milter
