// The milter protocol state machine (see conversation.hpp).
#include "milter/conversation.hpp"

#include <spdlog/spdlog.h>

#include <optional>

namespace domainauth::milter {

Conversation::Conversation(const ServerOptions& options, const HandlerFactory& factory, std::string_view peer,
                           Output& output)
    : options_(options), factory_(factory), peer_(peer), output_(output) {}

void Conversation::log_failure(std::string_view event, std::string_view detail) const {
  spdlog::warn("milter: peer={} queue_id={} event={} detail=\"{}\" action=close", peer_, queue_id(), event, detail);
}

// ---------------------------------------------------------------- state

asio::awaitable<bool> Conversation::handle(const Command& command) {
  if (!negotiated_done_ && !std::holds_alternative<OptionNegotiation>(command)) {
    log_failure("protocol_error", "command before option negotiation");
    co_return false;
  }
  co_return co_await std::visit([this](const auto& c) { return on(c); }, command);
}

bool Conversation::make_handler() {
  handler_ = factory_(SessionContext{macros_, negotiated_, peer_});
  if (!handler_) {
    log_failure("internal_error", "handler factory gave no handler");
  }
  return handler_ != nullptr;
}

void Conversation::begin(Stage stage, bool repeatable, std::string_view event) {
  fresh_ = false;
  if (stage_ > stage || (stage_ == stage && !repeatable)) {
    abandon_message(event);
  }
  stage_ = stage;
}

void Conversation::abandon_message(std::string_view event) {
  spdlog::debug("milter: peer={} queue_id={} event={} detail=\"message in progress abandoned\"", peer_, queue_id(),
                event);
  handler_->on_abort();
  stage_ = Stage::none;
  body_skipped_ = false;
}

void Conversation::end_message() {
  stage_ = Stage::none;
  body_skipped_ = false;
  macros_.clear_message();
}

template <class T, class Start>
asio::awaitable<T> Conversation::guarded(std::string_view event, Start start, T on_error) {
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

asio::awaitable<bool> Conversation::on(const OptionNegotiation& offer) {
  if (negotiated_done_ && !fresh_) {
    log_failure("protocol_error", "option negotiation in the middle of a connection");
    co_return false;
  }
  auto agreed = negotiate(offer, options_.capabilities);
  if (!agreed.ok()) {
    log_failure(to_string(agreed.error().code), agreed.error().detail);
    co_return false;
  }
  negotiated_ = agreed.value();
  negotiated_done_ = true;
  if (!handler_ && !make_handler()) {
    co_return false;
  }
  co_return co_await output_.write(encode(negotiated_));
}

asio::awaitable<bool> Conversation::on(const MacroDefinition& definition) {
  macros_.define(definition);
  co_return true;
}

asio::awaitable<bool> Conversation::on(const Connect& connect) {
  if (!fresh_) {
    log_failure("protocol_error", "connect after other commands");
    co_return false;
  }
  fresh_ = false;
  auto r = co_await call("connect", [&] { return handler_->on_connect(connect); });
  co_return co_await reply(std::move(r), Step::no_reply_connect, "connect");
}

asio::awaitable<bool> Conversation::on(const Helo& helo) {
  fresh_ = false;
  if (stage_ != Stage::none) {
    abandon_message("helo");
  }
  auto r = co_await call("helo", [&] { return handler_->on_helo(helo); });
  co_return co_await reply(std::move(r), Step::no_reply_helo, "helo");
}

asio::awaitable<bool> Conversation::on(const MailFrom& mail) {
  begin(Stage::mail, false, "mail");
  auto r = co_await call("mail", [&] { return handler_->on_mail_from(mail); });
  co_return co_await reply(std::move(r), Step::no_reply_mail, "mail");
}

asio::awaitable<bool> Conversation::on(const RcptTo& rcpt) {
  begin(Stage::rcpt, true, "rcpt");
  auto r = co_await call("rcpt", [&] { return handler_->on_rcpt(rcpt); });
  co_return co_await reply(std::move(r), Step::no_reply_rcpt, "rcpt");
}

asio::awaitable<bool> Conversation::on(const Data& /*data*/) {
  begin(Stage::data, false, "data");
  auto r = co_await call("data", [&] { return handler_->on_data(); });
  co_return co_await reply(std::move(r), Step::no_reply_data, "data");
}

asio::awaitable<bool> Conversation::on(const Header& header) {
  begin(Stage::header, true, "header");
  auto r = co_await call("header", [&] { return handler_->on_header(header); });
  co_return co_await reply(std::move(r), Step::no_reply_header, "header");
}

asio::awaitable<bool> Conversation::on(const EndOfHeaders& /*eoh*/) {
  begin(Stage::end_of_headers, false, "eoh");
  auto r = co_await call("eoh", [&] { return handler_->on_end_of_headers(); });
  co_return co_await reply(std::move(r), Step::no_reply_end_of_headers, "eoh");
}

asio::awaitable<bool> Conversation::on(const BodyChunk& chunk) {
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

asio::awaitable<bool> Conversation::on(const EndOfMessage& eom) {
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
  co_return co_await output_.write(std::move(out));
}

asio::awaitable<bool> Conversation::on(const Abort& /*abort*/) {
  if (stage_ != Stage::none) {
    handler_->on_abort();
  }
  end_message();
  co_return true;
}

asio::awaitable<bool> Conversation::on(const Quit& /*quit*/) { co_return false; }

asio::awaitable<bool> Conversation::on(const QuitNoClose& /*quit*/) {
  handler_.reset();
  macros_.clear();
  stage_ = Stage::none;
  body_skipped_ = false;
  fresh_ = true;
  co_return make_handler();
}

asio::awaitable<bool> Conversation::on(const UnknownCommand& command) {
  fresh_ = false;
  auto r = co_await call("unknown", [&] { return handler_->on_unknown(command); });
  co_return co_await reply(std::move(r), Step::no_reply_unknown, "unknown");
}

// ---------------------------------------------------------------- replies

asio::awaitable<bool> Conversation::reply(Reply r, Step no_reply, std::string_view event, bool skip_allowed) {
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
  co_return co_await output_.write(encode_or_failure(r, event));
}

std::string Conversation::encode_or_failure(const Reply& r, std::string_view event) const {
  auto bytes = encode(r);
  if (bytes.ok()) {
    return std::move(bytes.value());
  }
  spdlog::error("milter: peer={} queue_id={} event={} detail=\"handler reply not sent: {}\"", peer_, queue_id(), event,
                bytes.error().detail);
  auto fallback = encode(options_.on_handler_error);
  return fallback.ok() ? std::move(fallback.value()) : encode(Reply::tempfail()).value();
}

std::string Conversation::encode_end_of_message(const EndOfMessageResult& result) const {
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
      return encode_or_failure(options_.on_handler_error, "eom");
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

// The handler's end of message; the output knows it runs (SMFIR_PROGRESS).
asio::awaitable<EndOfMessageResult> Conversation::end_of_message() {
  // Arguments are locals: g++ 12 mishandles temporaries inside co_await expressions.
  EndOfMessageResult on_error{{}, options_.on_handler_error};
  auto start = [this] { return handler_->on_end_of_message(); };
  output_.end_of_message_running(true);
  auto result = co_await guarded<EndOfMessageResult>("eom", start, on_error);
  output_.end_of_message_running(false);
  co_return result;
}

}  // namespace domainauth::milter
