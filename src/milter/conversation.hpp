// The milter protocol state machine of one connection, without I/O: takes the
// decoded commands, keeps the negotiated options and the macros, enforces the
// command order, calls the MessageHandler and hands the replies to an Output
// (the session's socket, or memory in tests and the in-process benchmark). See
// server.hpp for the behaviour it implements. Reads untrusted commands.
//
// Command order: OPTNEG first (again only right after QUIT_NC); CONNECT only as the
// first event of an SMTP connection; the commands of one message in the order
// MAIL < RCPT* < DATA < HEADER* < EOH < BODY* < EOM, any of them left out when the
// negotiated steps say so. A command that goes back in this order (a new MAIL, or
// HELO, before the last message ended) abandons the message in progress, as
// libmilter does; Postfix sends ABORT right after such a HELO anyway.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "milter/server.hpp"

namespace domainauth::milter {

// Where a conversation's replies go, in order.
class Output {
 public:
  virtual ~Output() = default;
  // false: the bytes could not be written (the connection is gone).
  virtual asio::awaitable<bool> write(std::string bytes) = 0;
  // The handler's end of message begins (true) or has ended (false): the
  // session sends SMFIR_PROGRESS now and then meanwhile.
  virtual void end_of_message_running(bool /*running*/) {}
};

class Conversation {
 public:
  // The references must outlive the conversation; peer names the MTA in logs.
  Conversation(const ServerOptions& options, const HandlerFactory& factory, std::string_view peer, Output& output);
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  // Handles one command (replies written to the output); false: close the connection.
  asio::awaitable<bool> handle(const Command& command);
  // A message is in progress (MAIL seen, end of message or abort not yet).
  [[nodiscard]] bool in_message() const { return stage_ != Stage::none; }
  // One warning line: the peer, the queue id, the event and why the connection closes.
  void log_failure(std::string_view event, std::string_view detail) const;

 private:
  enum class Stage : std::uint8_t { none, mail, rcpt, data, header, end_of_headers, body };

  [[nodiscard]] std::string queue_id() const { return std::string(macros_.get("i").value_or("-")); }

  asio::awaitable<bool> on(const OptionNegotiation& offer);
  asio::awaitable<bool> on(const MacroDefinition& definition);
  asio::awaitable<bool> on(const Connect& connect);
  asio::awaitable<bool> on(const Helo& helo);
  asio::awaitable<bool> on(const MailFrom& mail);
  asio::awaitable<bool> on(const RcptTo& rcpt);
  asio::awaitable<bool> on(const Data& data);
  asio::awaitable<bool> on(const Header& header);
  asio::awaitable<bool> on(const EndOfHeaders& eoh);
  asio::awaitable<bool> on(const BodyChunk& chunk);
  asio::awaitable<bool> on(const EndOfMessage& eom);
  asio::awaitable<bool> on(const Abort& abort);
  asio::awaitable<bool> on(const Quit& quit);
  asio::awaitable<bool> on(const QuitNoClose& quit);
  asio::awaitable<bool> on(const UnknownCommand& command);

  template <class T, class Start>
  asio::awaitable<T> guarded(std::string_view event, Start start, T on_error);
  asio::awaitable<Reply> call(std::string_view event, auto start) {
    return guarded<Reply>(event, std::move(start), options_.on_handler_error);
  }
  asio::awaitable<EndOfMessageResult> end_of_message();
  asio::awaitable<bool> reply(Reply reply, Step no_reply, std::string_view event, bool skip_allowed = false);
  [[nodiscard]] std::string encode_or_failure(const Reply& reply, std::string_view event) const;
  [[nodiscard]] std::string encode_end_of_message(const EndOfMessageResult& result) const;
  bool make_handler();
  void begin(Stage stage, bool repeatable, std::string_view event);
  void abandon_message(std::string_view event);
  void end_message();

  const ServerOptions& options_;
  const HandlerFactory& factory_;
  std::string_view peer_;
  Output& output_;
  MacroTable macros_;
  Negotiated negotiated_;
  bool negotiated_done_ = false;
  bool fresh_ = true;  // no SMTP event yet on this (possibly reused) connection
  Stage stage_ = Stage::none;
  bool body_skipped_ = false;
  std::unique_ptr<MessageHandler> handler_;  // last: destroyed before what its context refers to
};

}  // namespace domainauth::milter
