// One milter connection: packet loop, protocol state machine, handler calls,
// replies, timeouts (see server.hpp for the contract). Reads untrusted bytes.
//
// Command order: OPTNEG first (again only right after QUIT_NC); CONNECT only as the
// first event of an SMTP connection; the commands of one message in the order
// MAIL < RCPT* < DATA < HEADER* < EOH < BODY* < EOM, any of them left out when the
// negotiated steps say so. A command that goes back in this order (a new MAIL, or
// HELO, before the last message ended) abandons the message in progress, as
// libmilter does; Postfix sends ABORT right after such a HELO anyway.
//
// Timeouts: idle_timeout while no packet has begun; stall_timeout from the
// moment a packet's first bytes are waited on to its last byte (a peer sending
// one byte a second gains nothing), and for each write. At stop() a session
// between messages (no packet begun, no message in progress) is closed at once;
// one in a message is closed when that message ends.
#include "milter/session.hpp"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <optional>

namespace domainauth::milter {

namespace {

using Clock = std::chrono::steady_clock;

enum class Stage : std::uint8_t { none, mail, rcpt, data, header, end_of_headers, body };

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, std::shared_ptr<Server::Shared> shared, std::string peer)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(std::move(shared)),
        peer_(std::move(peer)) {
    timer_.expires_at(Clock::time_point::max());
    ++shared_->sessions;
  }
  ~Session() {
    shared_->remove_drain(drain_id_);
    --shared_->sessions;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  asio::awaitable<void> run(std::shared_ptr<Session> self);
  asio::awaitable<void> watchdog(std::shared_ptr<Session> self);
  void set_drain_id(std::uint64_t id) { drain_id_ = id; }
  // The server is stopping: close now when between messages, else after this message.
  void drain();

 private:
  [[nodiscard]] const ServerOptions& options() const { return shared_->options; }
  [[nodiscard]] std::string queue_id() const { return std::string(macros_.get("i").value_or("-")); }
  void set_deadline(Clock::time_point deadline);
  void close();
  void log_failure(std::string_view event, std::string_view detail) const;

  asio::awaitable<void> serve();
  asio::awaitable<bool> dispatch(const Command& command);
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
    return guarded<Reply>(event, std::move(start), options().on_handler_error);
  }
  asio::awaitable<EndOfMessageResult> end_of_message();
  asio::awaitable<bool> reply(Reply reply, Step no_reply, std::string_view event, bool skip_allowed = false);
  asio::awaitable<bool> write(std::string bytes);
  [[nodiscard]] std::string encode_or_failure(const Reply& reply, std::string_view event) const;
  [[nodiscard]] std::string encode_end_of_message(const EndOfMessageResult& result) const;
  bool make_handler();
  void begin(Stage stage, bool repeatable, std::string_view event);
  void abandon_message(std::string_view event);
  void end_message();

  Socket socket_;
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  std::optional<Clock::time_point> packet_start_;  // set while a packet is partly read
  std::uint64_t drain_id_ = 0;
  bool draining_ = false;      // stop(): close once no message is in progress
  bool waiting_idle_ = false;  // reading, between messages, no packet begun
  bool drained_ = false;       // closed by drain()
  std::shared_ptr<Server::Shared> shared_;
  std::string peer_;
  FrameReader reader_;
  MacroTable macros_;
  Negotiated negotiated_;
  bool negotiated_done_ = false;
  bool fresh_ = true;  // no SMTP event yet on this (possibly reused) connection
  Stage stage_ = Stage::none;
  bool body_skipped_ = false;
  std::unique_ptr<MessageHandler> handler_;  // last: destroyed before what its context refers to
};

// ---------------------------------------------------------------- I/O and timeouts

void Session::set_deadline(Clock::time_point deadline) {
  deadline_ = deadline;
  if (deadline_ < timer_.expiry()) {
    timer_.expires_at(deadline_);  // wakes the watchdog, which then sleeps until the new deadline
  }
}

// One timer per connection: fires at the deadline (or earlier, then re-arms).
asio::awaitable<void> Session::watchdog(std::shared_ptr<Session> /*self*/) {
  while (socket_.is_open()) {
    asio::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!socket_.is_open()) {
      break;
    }
    if (Clock::now() >= deadline_) {
      timed_out_ = true;
      log_failure("timeout", reader_.partial() ? "peer stalled in the middle of a packet"
                                               : "no command from the peer in time");
      close();
      break;
    }
    if (timer_.expiry() <= Clock::now()) {
      timer_.expires_at(deadline_);
    }
  }
}

void Session::drain() {
  draining_ = true;
  if (waiting_idle_ && socket_.is_open()) {
    drained_ = true;
    spdlog::info("milter: peer={} event=closed detail=\"idle connection closed at shutdown\"", peer_);
    close();
  }
}

void Session::close() {
  asio::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  timer_.cancel();
}

void Session::log_failure(std::string_view event, std::string_view detail) const {
  spdlog::warn("milter: peer={} queue_id={} event={} detail=\"{}\" action=close", peer_, queue_id(), event, detail);
}

asio::awaitable<bool> Session::write(std::string bytes) {
  asio::error_code ec;
  set_deadline(Clock::now() + options().stall_timeout);
  co_await asio::async_write(socket_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  deadline_ = Clock::time_point::max();
  if (ec) {
    if (!timed_out_) {
      log_failure("write_error", ec.message());
    }
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> Session::run(std::shared_ptr<Session> /*self*/) {
  try {
    co_await serve();
  } catch (const std::exception& e) {
    log_failure("internal_error", e.what());
  }
  close();
}

asio::awaitable<void> Session::serve() {
  while (true) {
    auto next = reader_.next();
    if (next.status == FrameReader::Status::error) {
      log_failure(to_string(next.error.code), next.error.detail);
      co_return;
    }
    if (next.status == FrameReader::Status::frame) {
      packet_start_.reset();
      auto command = decode(next.frame);
      if (!command.ok()) {
        log_failure(to_string(command.error().code), command.error().detail);
        co_return;
      }
      if (!co_await dispatch(command.value())) {
        co_return;
      }
      continue;
    }
    const bool between_messages = !reader_.partial() && stage_ == Stage::none;
    if (between_messages && draining_) {
      spdlog::info("milter: peer={} event=closed detail=\"closed at shutdown between messages\"", peer_);
      co_return;
    }
    if (reader_.partial()) {
      if (!packet_start_) {
        packet_start_ = Clock::now();
      }
      set_deadline(*packet_start_ + options().stall_timeout);  // from the packet's start, not the last byte
    } else {
      set_deadline(Clock::now() + options().idle_timeout);
    }
    const auto space = reader_.prepare();
    asio::error_code ec;
    waiting_idle_ = between_messages;
    const std::size_t n = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                                           asio::redirect_error(asio::use_awaitable, ec));
    waiting_idle_ = false;
    deadline_ = Clock::time_point::max();
    if (ec) {
      if (timed_out_ || drained_) {
        co_return;
      }
      if (ec != asio::error::eof) {
        log_failure("read_error", ec.message());
      } else if (reader_.partial() || stage_ != Stage::none) {
        log_failure("peer_closed", reader_.partial() ? "in the middle of a packet" : "in the middle of a message");
      }
      co_return;
    }
    reader_.commit(n);
  }
}

// ---------------------------------------------------------------- state

asio::awaitable<bool> Session::dispatch(const Command& command) {
  if (!negotiated_done_ && !std::holds_alternative<OptionNegotiation>(command)) {
    log_failure("protocol_error", "command before option negotiation");
    co_return false;
  }
  co_return co_await std::visit([this](const auto& c) { return on(c); }, command);
}

bool Session::make_handler() {
  handler_ = shared_->factory(SessionContext{macros_, negotiated_, peer_});
  if (!handler_) {
    log_failure("internal_error", "handler factory gave no handler");
  }
  return handler_ != nullptr;
}

void Session::begin(Stage stage, bool repeatable, std::string_view event) {
  fresh_ = false;
  if (stage_ > stage || (stage_ == stage && !repeatable)) {
    abandon_message(event);
  }
  stage_ = stage;
}

void Session::abandon_message(std::string_view event) {
  spdlog::debug("milter: peer={} queue_id={} event={} detail=\"message in progress abandoned\"", peer_, queue_id(),
                event);
  handler_->on_abort();
  stage_ = Stage::none;
  body_skipped_ = false;
}

void Session::end_message() {
  stage_ = Stage::none;
  body_skipped_ = false;
  macros_.clear_message();
}

template <class T, class Start>
asio::awaitable<T> Session::guarded(std::string_view event, Start start, T on_error) {
  std::optional<T> result;
  try {
    result = co_await start();
  } catch (const std::exception& e) {
    spdlog::error("milter: peer={} queue_id={} event={} detail=\"handler failed: {}\"", peer_, queue_id(), event,
                  e.what());
  }
  co_return result ? std::move(*result) : std::move(on_error);
}

// ---------------------------------------------------------------- commands

asio::awaitable<bool> Session::on(const OptionNegotiation& offer) {
  if (negotiated_done_ && !fresh_) {
    log_failure("protocol_error", "option negotiation in the middle of a connection");
    co_return false;
  }
  auto agreed = negotiate(offer, options().capabilities);
  if (!agreed.ok()) {
    log_failure(to_string(agreed.error().code), agreed.error().detail);
    co_return false;
  }
  negotiated_ = agreed.value();
  negotiated_done_ = true;
  if (!handler_ && !make_handler()) {
    co_return false;
  }
  co_return co_await write(encode(negotiated_));
}

asio::awaitable<bool> Session::on(const MacroDefinition& definition) {
  macros_.define(definition);
  co_return true;
}

asio::awaitable<bool> Session::on(const Connect& connect) {
  if (!fresh_) {
    log_failure("protocol_error", "connect after other commands");
    co_return false;
  }
  fresh_ = false;
  auto r = co_await call("connect", [&] { return handler_->on_connect(connect); });
  co_return co_await reply(std::move(r), Step::no_reply_connect, "connect");
}

asio::awaitable<bool> Session::on(const Helo& helo) {
  fresh_ = false;
  if (stage_ != Stage::none) {
    abandon_message("helo");
  }
  auto r = co_await call("helo", [&] { return handler_->on_helo(helo); });
  co_return co_await reply(std::move(r), Step::no_reply_helo, "helo");
}

asio::awaitable<bool> Session::on(const MailFrom& mail) {
  begin(Stage::mail, false, "mail");
  auto r = co_await call("mail", [&] { return handler_->on_mail_from(mail); });
  co_return co_await reply(std::move(r), Step::no_reply_mail, "mail");
}

asio::awaitable<bool> Session::on(const RcptTo& rcpt) {
  begin(Stage::rcpt, true, "rcpt");
  auto r = co_await call("rcpt", [&] { return handler_->on_rcpt(rcpt); });
  co_return co_await reply(std::move(r), Step::no_reply_rcpt, "rcpt");
}

asio::awaitable<bool> Session::on(const Data& /*data*/) {
  begin(Stage::data, false, "data");
  auto r = co_await call("data", [&] { return handler_->on_data(); });
  co_return co_await reply(std::move(r), Step::no_reply_data, "data");
}

asio::awaitable<bool> Session::on(const Header& header) {
  begin(Stage::header, true, "header");
  auto r = co_await call("header", [&] { return handler_->on_header(header); });
  co_return co_await reply(std::move(r), Step::no_reply_header, "header");
}

asio::awaitable<bool> Session::on(const EndOfHeaders& /*eoh*/) {
  begin(Stage::end_of_headers, false, "eoh");
  auto r = co_await call("eoh", [&] { return handler_->on_end_of_headers(); });
  co_return co_await reply(std::move(r), Step::no_reply_end_of_headers, "eoh");
}

asio::awaitable<bool> Session::on(const BodyChunk& chunk) {
  begin(Stage::body, true, "body");
  Reply r;
  if (!body_skipped_) {
    r = co_await call("body", [&] { return handler_->on_body(chunk.bytes); });
    if (r.verdict == Verdict::skip) {
      body_skipped_ = true;  // without SMFIP_SKIP the MTA keeps sending: we keep quiet about it
      if (!negotiated_.steps.has(Step::skip)) {
        r = Reply::continue_();
      }
    }
  }
  co_return co_await reply(std::move(r), Step::no_reply_body, "body", true);
}

asio::awaitable<bool> Session::on(const EndOfMessage& eom) {
  fresh_ = false;
  Reply early;
  if (!eom.bytes.empty() && !body_skipped_) {
    early = co_await call("body", [&] { return handler_->on_body(eom.bytes); });
  }
  std::string out;
  if (early.verdict == Verdict::continue_ || early.verdict == Verdict::skip) {
    out = encode_end_of_message(co_await end_of_message());
  } else {
    out = encode_or_failure(early, "eom");
  }
  end_message();
  co_return co_await write(std::move(out));
}

asio::awaitable<bool> Session::on(const Abort& /*abort*/) {
  if (stage_ != Stage::none) {
    handler_->on_abort();
  }
  end_message();
  co_return true;
}

asio::awaitable<bool> Session::on(const Quit& /*quit*/) { co_return false; }

asio::awaitable<bool> Session::on(const QuitNoClose& /*quit*/) {
  handler_.reset();
  macros_.clear();
  stage_ = Stage::none;
  body_skipped_ = false;
  fresh_ = true;
  co_return make_handler();
}

asio::awaitable<bool> Session::on(const UnknownCommand& command) {
  fresh_ = false;
  auto r = co_await call("unknown", [&] { return handler_->on_unknown(command); });
  co_return co_await reply(std::move(r), Step::no_reply_unknown, "unknown");
}

// ---------------------------------------------------------------- replies

asio::awaitable<bool> Session::reply(Reply r, Step no_reply, std::string_view event, bool skip_allowed) {
  if (negotiated_.steps.has(no_reply)) {
    if (r.verdict != Verdict::continue_) {
      spdlog::warn("milter: peer={} queue_id={} event={} detail=\"reply dropped: the MTA expects none\"", peer_,
                   queue_id(), event);
    }
    co_return true;
  }
  if (r.verdict == Verdict::skip && !skip_allowed) {
    r = Reply::continue_();
  }
  co_return co_await write(encode_or_failure(r, event));
}

std::string Session::encode_or_failure(const Reply& r, std::string_view event) const {
  auto bytes = encode(r);
  if (bytes.ok()) {
    return std::move(bytes.value());
  }
  spdlog::error("milter: peer={} queue_id={} event={} detail=\"handler reply not sent: {}\"", peer_, queue_id(), event,
                bytes.error().detail);
  auto fallback = encode(options().on_handler_error);
  return fallback.ok() ? std::move(fallback.value()) : encode(Reply::tempfail()).value();
}

std::string Session::encode_end_of_message(const EndOfMessageResult& result) const {
  std::string out;
  for (const auto& modification : result.modifications) {
    auto bytes = encode(modification);
    std::string problem;
    if (!negotiated_.actions.has(required_action(modification))) {
      problem = "modification needs an action that was not negotiated";
    } else if (!bytes.ok()) {
      problem = bytes.error().detail;
    }
    if (!problem.empty()) {
      spdlog::error("milter: peer={} queue_id={} event=eom detail=\"modification not sent: {}\"", peer_, queue_id(),
                    problem);
      return encode_or_failure(options().on_handler_error, "eom");
    }
    out += bytes.value();
  }
  const Reply final_reply = result.reply.verdict == Verdict::skip ? Reply::continue_() : result.reply;
  auto bytes = encode(final_reply);
  if (!bytes.ok()) {
    return encode_or_failure(final_reply, "eom");  // logs, sends the failure reply
  }
  return out + bytes.value();
}

// The handler's end of message, with SMFIR_PROGRESS every progress_interval while
// it runs, so the MTA's timeout does not strike during long DNS or crypto waits.
asio::awaitable<EndOfMessageResult> Session::end_of_message() {
  EndOfMessageResult on_error{{}, options().on_handler_error};
  auto start = [this] { return handler_->on_end_of_message(); };
  if (options().progress_interval.count() <= 0) {
    co_return co_await guarded<EndOfMessageResult>("eom", start, on_error);
  }
  struct Pending {
    explicit Pending(const asio::any_io_executor& ex) : wake(ex) {}
    std::optional<EndOfMessageResult> result;
    asio::steady_timer wake;
  };
  auto pending = std::make_shared<Pending>(socket_.get_executor());
  asio::co_spawn(
      socket_.get_executor(),
      [this, pending, start, on_error, self = shared_from_this()]() -> asio::awaitable<void> {
        pending->result = co_await guarded<EndOfMessageResult>("eom", start, on_error);
        pending->wake.cancel();
      },
      asio::detached);
  bool connected = true;
  while (!pending->result) {
    pending->wake.expires_after(options().progress_interval);
    asio::error_code ec;
    co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!pending->result && connected) {
      connected = co_await write(encode_progress());
    }
  }
  co_return std::move(*pending->result);
}

}  // namespace

void start_session(Socket socket, std::shared_ptr<Server::Shared> shared, std::string peer) {
  auto executor = socket.get_executor();
  auto session = std::make_shared<Session>(std::move(socket), shared, std::move(peer));
  session->set_drain_id(shared->add_drain([executor, weak = std::weak_ptr<Session>(session)] {
    asio::post(executor, [weak] {
      if (auto alive = weak.lock()) {
        alive->drain();
      }
    });
  }));
  asio::co_spawn(executor, session->watchdog(session), asio::detached);
  asio::co_spawn(executor, session->run(session), asio::detached);
}

}  // namespace domainauth::milter
