// One milter connection (internal to the server): reads packets, keeps the
// protocol state, calls the MessageHandler and writes replies (see server.hpp for
// the behaviour). Reads untrusted bytes from the connected peer.
#pragma once

#include <asio/generic/stream_protocol.hpp>
#include <atomic>
#include <memory>
#include <string>

#include "milter/server.hpp"

namespace domainauth::milter {

struct Server::Shared {
  ServerOptions options;
  HandlerFactory factory;
  std::atomic<std::size_t> sessions{0};
};

using Socket = asio::generic::stream_protocol::socket;

// Starts a session on the socket's executor (give it a strand when the
// io_context runs on several threads). peer names the MTA in log lines.
void start_session(Socket socket, std::shared_ptr<Server::Shared> shared, std::string peer);

}  // namespace domainauth::milter
