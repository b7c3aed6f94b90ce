// The milter server: accepts MTA connections on inet: and unix: sockets and runs
// one session per connection as an Asio C++20 coroutine (no thread per
// connection; each session runs on its own strand unless ServerOptions::one_thread
// says one thread runs the io_context). The session speaks the protocol (codec.hpp): it
// negotiates options, keeps macros, enforces command order, answers or stays
// silent as the no-reply flags say, handles ABORT, QUIT and QUIT_NC (connection
// reuse), and closes the connection with one log line on garbage, oversize
// packets, out-of-protocol commands and stalls (stall_timeout runs from a
// packet's start, so a trickle of bytes does not hold a connection). Timeouts
// and SMFIR_PROGRESS are kept by one sweep of all sessions, a quarter of the
// shortest timeout apart (10 ms to 1 s), so they strike that much late at most
// and cost no timer per session or per message. At most
// ServerOptions::max_connections sessions run at once: a connection beyond them
// is closed at once with a log line (the MTA applies its milter_default_action),
// so held connections cannot take the descriptors of sessions in progress. It
// reads untrusted bytes from whoever can connect to the socket.
//
// The per-message work comes in through MessageHandler:
//
//   class MessageHandler {                       // one per SMTP connection
//     Reply on_connect(const Connect&);     // client host, family, port, IP
//     Reply on_helo(const Helo&);
//     Reply on_mail_from(const MailFrom&);  // address + ESMTP args
//     Reply on_rcpt(const RcptTo&);
//     Reply on_data();
//     Reply on_unknown(const UnknownCommand&);
//     Reply on_header(const Header&);
//     Reply on_end_of_headers();
//     Reply on_body(std::string_view chunk);
//     awaitable<EndOfMessageResult> on_end_of_message();  // modifications + final reply
//     void on_abort();                      // message abandoned; connection stays
//   };
//   HandlerFactory: SessionContext -> unique_ptr<MessageHandler>
//
// Every event except end of message has a default that answers continue, so a
// handler overrides only what it needs. The events before end of message are
// answered at once (they only gather what the message check needs), so a batch
// of packets read together is handled without a suspension; end of message is a
// coroutine that may co_await DNS or crypto work without blocking other
// connections, and it is awaited before the next packet is handled. Arguments are
// views into the packet and valid until the call returns. The factory is called
// (from any thread running the io_context, so it must be thread-safe when several
// do) after option negotiation and again after each QUIT_NC (new SMTP connection,
// new handler); the handler is destroyed when the connection ends or is reused. A
// handler that throws, or returns a reply or modification that cannot be encoded
// or was not negotiated, gets ServerOptions::on_handler_error sent instead
// (tempfail by default: mail is never lost). Under a no-reply step (e.g.
// SMFIP_NR_HDR) the MTA expects no answer: the handler's reply is then dropped
// (logged when it was not continue). Skip is honoured for on_body only; when the
// MTA does not offer SMFIP_SKIP, or body chunks need no reply (SMFIP_NR_BODY), the
// server answers continue (or nothing) and stops passing body chunks to the handler.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "milter/codec.hpp"
#include "net/listener.hpp"
#include "milter/macros.hpp"

namespace domainauth::milter {

struct EndOfMessageResult {
  std::vector<Modification> modifications;  // sent in order, before the reply
  Reply reply;                              // continue == accept
};

// What a handler can see of its session; the references stay valid for the
// handler's whole life (the session outlives it).
struct SessionContext {
  const MacroTable& macros;      // macros the MTA sent so far, per stage
  const Negotiated& negotiated;  // the agreed version, actions and steps
  std::string_view peer;         // the MTA's address, for logs
  asio::any_io_executor executor;  // the session's: where end of message runs
};

class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  virtual Reply on_connect(const Connect& connect);
  virtual Reply on_helo(const Helo& helo);
  virtual Reply on_mail_from(const MailFrom& mail);
  virtual Reply on_rcpt(const RcptTo& rcpt);
  virtual Reply on_data();
  virtual Reply on_unknown(const UnknownCommand& command);
  virtual Reply on_header(const Header& header);
  virtual Reply on_end_of_headers();
  virtual Reply on_body(std::string_view chunk);
  virtual asio::awaitable<EndOfMessageResult> on_end_of_message() = 0;
  // The message in progress was abandoned (ABORT, or a new message began).
  virtual void on_abort() {}
};

using HandlerFactory = std::function<std::unique_ptr<MessageHandler>(const SessionContext&)>;

struct ServerOptions {
  Capabilities capabilities;                           // what the handlers need from the MTA
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};  // no packet begun: close
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(30)};  // packet (from its start) or write unfinished: close
  std::chrono::milliseconds progress_interval{std::chrono::seconds(30)};  // SMFIR_PROGRESS at slow eom; 0 = off
  Reply on_handler_error = Reply::tempfail();
  std::size_t max_connections = 1000;  // sessions at once; beyond: new connections closed
  // The io_context is run by one thread only: sessions need no strand of their
  // own (a strand costs allocations and a dispatch per handler).
  bool one_thread = false;
};

class Server {
 public:
  Server(asio::any_io_executor executor, ServerOptions options, HandlerFactory factory);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (call before start()). A unix socket path holding a stale
  // socket (nothing accepts on it) is replaced; a live one or a non-socket is not.
  [[nodiscard]] net::ListenResult listen(const net::ListenAddress& address,
                                         const net::UnixSocketOptions& unix_options = {});
  // Starts accepting on every listener (once).
  void start();
  // Stops accepting and removes our unix socket files; sessions between messages
  // are closed now, the others when their message ends.
  void stop();
  [[nodiscard]] std::size_t active_sessions() const;

  // Options, factory and counters that sessions share with the server (session.hpp).
  struct Shared;

 private:
  static asio::awaitable<void> sweep_loop(std::shared_ptr<Shared> shared);

  asio::any_io_executor executor_;
  std::shared_ptr<Shared> shared_;
  net::Listeners listeners_;
};

}  // namespace domainauth::milter
