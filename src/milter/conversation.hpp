// The milter protocol state machine of one connection, without I/O: takes the
// decoded commands, keeps the negotiated options and the macros, enforces the
// command order, calls the MessageHandler and queues the replies on an Output
// (the session's write buffer, or memory in tests and the in-process benchmark).
// Every command but end of message is handled at once; end of message is a
// coroutine, as the handler's is. See server.hpp for the behaviour it
// implements. Reads untrusted commands.
//
// Command order: OPTNEG first (again only right after QUIT_NC); CONNECT only as the
// first event of an SMTP connection; the commands of one message in the order
// MAIL < RCPT* < DATA < HEADER* < EOH < BODY* < EOM, any of them left out when the
// negotiated steps say so. A command that goes back in this order (a new MAIL, or
// HELO, before the last message ended) abandons the message in progress, as
// libmilter does; Postfix sends ABORT right after such a HELO anyway.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "milter/server.hpp"

namespace domainauth::milter {

// Where a conversation's replies go, in order: queued, and written by the owner
// before it waits for more commands (or, at end of message, before it waits for
// the handler).
class Output {
 public:
  virtual ~Output() = default;
  virtual void write(std::string_view bytes) = 0;
  // The handler's end of message begins (true) or has ended (false): the
  // session sends SMFIR_PROGRESS now and then meanwhile.
  virtual void end_of_message_running(bool /*running*/) {}
};

class Conversation {
 public:
  // The references must outlive the conversation; peer names the MTA in logs.
  // executor: the session's, handed to its handlers.
  Conversation(const ServerOptions& options, const HandlerFactory& factory, std::string_view peer, Output& output,
               asio::any_io_executor executor);
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  // Handles one command other than end of message (its reply queued on the
  // output); false: close the connection.
  bool handle(const Command& command);
  // Handles end of message: the handler's, then the modifications and the reply
  // queued on the output. false: close the connection.
  asio::awaitable<bool> end_of_message(const EndOfMessage& eom);
  // A message is in progress (MAIL seen, end of message or abort not yet).
  [[nodiscard]] bool in_message() const { return stage_ != Stage::none; }
  // One warning line: the peer, the queue id, the event and why the connection closes.
  void log_failure(std::string_view event, std::string_view detail) const;

 private:
  enum class Stage : std::uint8_t { none, mail, rcpt, data, header, end_of_headers, body };

  [[nodiscard]] std::string queue_id() const { return std::string(macros_.get("i").value_or("-")); }

  bool on(const OptionNegotiation& offer);
  bool on(const MacroDefinition& definition);
  bool on(const Connect& connect);
  bool on(const Helo& helo);
  bool on(const MailFrom& mail);
  bool on(const RcptTo& rcpt);
  bool on(const Data& data);
  bool on(const Header& header);
  bool on(const EndOfHeaders& eoh);
  bool on(const BodyChunk& chunk);
  bool on(const EndOfMessage& eom);
  bool on(const Abort& abort);
  bool on(const Quit& quit);
  bool on(const QuitNoClose& quit);
  bool on(const UnknownCommand& command);

  // The handler's answer to an event, or on_handler_error when it throws.
  template <class Event>
  Reply call(std::string_view event, Event event_call);
  asio::awaitable<EndOfMessageResult> run_end_of_message();
  // Queues the reply unless the step needs none; true.
  bool reply(Reply reply, Step no_reply, std::string_view event, bool skip_allowed = false);
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
  asio::any_io_executor executor_;
  MacroTable macros_;
  Negotiated negotiated_;
  bool negotiated_done_ = false;
  bool fresh_ = true;  // no SMTP event yet on this (possibly reused) connection
  Stage stage_ = Stage::none;
  bool body_skipped_ = false;
  std::unique_ptr<MessageHandler> handler_;  // last: destroyed before what its context refers to
};

}  // namespace domainauth::milter
