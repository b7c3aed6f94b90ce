// The milter protocol state machine (see conversation.hpp).
#include "milter/conversation.hpp"

#include <spdlog/spdlog.h>

#include <optional>

namespace domainauth::milter {

Conversation::Conversation(const ServerOptions& options, const HandlerFactory& factory, std::string_view peer,
                           Output& output, asio::any_io_executor executor)
    : options_(options), factory_(factory), peer_(peer), output_(output), executor_(std::move(executor)) {}

void Conversation::log_failure(std::string_view event, std::string_view detail) const {
  spdlog::warn("milter: peer={} queue_id={} event={} detail=\"{}\" action=close", peer_, queue_id(), event, detail);
}

// ---------------------------------------------------------------- state

bool Conversation::handle(const Command& command) {
  if (!negotiated_done_ && !std::holds_alternative<OptionNegotiation>(command)) {
    log_failure("protocol_error", "command before option negotiation");
    return false;
  }
  return std::visit([this](const auto& c) { return on(c); }, command);
}

bool Conversation::make_handler() {
  handler_ = factory_(SessionContext{macros_, negotiated_, peer_, executor_});
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

template <class Event>
Reply Conversation::call(std::string_view event, Event event_call) {
  try {
    return event_call();
  } catch (const std::exception& e) {
    spdlog::error("milter: peer={} queue_id={} event={} detail=\"handler failed: {}\"", peer_, queue_id(), event,
                  e.what());
    return options_.on_handler_error;
  }
}

// ---------------------------------------------------------------- commands

bool Conversation::on(const OptionNegotiation& offer) {
  if (negotiated_done_ && !fresh_) {
    log_failure("protocol_error", "option negotiation in the middle of a connection");
    return false;
  }
  auto agreed = negotiate(offer, options_.capabilities);
  if (!agreed.ok()) {
    log_failure(to_string(agreed.error().code), agreed.error().detail);
    return false;
  }
  negotiated_ = agreed.value();
  negotiated_done_ = true;
  if (!handler_ && !make_handler()) {
    return false;
  }
  output_.write(encode(negotiated_));
  return true;
}

bool Conversation::on(const MacroDefinition& definition) {
  macros_.define(definition);
  return true;
}

bool Conversation::on(const Connect& connect) {
  if (!fresh_) {
    log_failure("protocol_error", "connect after other commands");
    return false;
  }
  fresh_ = false;
  auto r = call("connect", [&] { return handler_->on_connect(connect); });
  return reply(std::move(r), Step::no_reply_connect, "connect");
}

bool Conversation::on(const Helo& helo) {
  fresh_ = false;
  if (stage_ != Stage::none) {
    abandon_message("helo");
  }
  auto r = call("helo", [&] { return handler_->on_helo(helo); });
  return reply(std::move(r), Step::no_reply_helo, "helo");
}

bool Conversation::on(const MailFrom& mail) {
  begin(Stage::mail, false, "mail");
  auto r = call("mail", [&] { return handler_->on_mail_from(mail); });
  return reply(std::move(r), Step::no_reply_mail, "mail");
}

bool Conversation::on(const RcptTo& rcpt) {
  begin(Stage::rcpt, true, "rcpt");
  auto r = call("rcpt", [&] { return handler_->on_rcpt(rcpt); });
  return reply(std::move(r), Step::no_reply_rcpt, "rcpt");
}

bool Conversation::on(const Data& /*data*/) {
  begin(Stage::data, false, "data");
  auto r = call("data", [&] { return handler_->on_data(); });
  return reply(std::move(r), Step::no_reply_data, "data");
}

bool Conversation::on(const Header& header) {
  begin(Stage::header, true, "header");
  auto r = call("header", [&] { return handler_->on_header(header); });
  return reply(std::move(r), Step::no_reply_header, "header");
}

bool Conversation::on(const EndOfHeaders& /*eoh*/) {
  begin(Stage::end_of_headers, false, "eoh");
  auto r = call("eoh", [&] { return handler_->on_end_of_headers(); });
  return reply(std::move(r), Step::no_reply_end_of_headers, "eoh");
}

bool Conversation::on(const BodyChunk& chunk) {
  begin(Stage::body, true, "body");
  Reply r;
  if (!body_skipped_) {
    r = call("body", [&] { return handler_->on_body(chunk.bytes); });
    if (r.verdict == Verdict::skip) {
      // Without SMFIP_SKIP, or under SMFIP_NR_BODY (no reply to a chunk), the MTA
      // keeps sending: we stop passing chunks and keep quiet about it.
      body_skipped_ = true;
      if (!negotiated_.steps.has(Step::skip) || negotiated_.steps.has(Step::no_reply_body)) {
        r = Reply::continue_();
      }
    }
  }
  return reply(std::move(r), Step::no_reply_body, "body", true);
}

// Reached only through a Command variant handed to handle(): the owner must
// call end_of_message() for it.
bool Conversation::on(const EndOfMessage& /*eom*/) {
  log_failure("internal_error", "end of message handled as an ordinary command");
  return false;
}

asio::awaitable<bool> Conversation::end_of_message(const EndOfMessage& eom) {
  if (!negotiated_done_) {
    log_failure("protocol_error", "command before option negotiation");
    co_return false;
  }
  fresh_ = false;
  Reply early;
  if (!eom.bytes.empty() && !body_skipped_) {
    early = call("body", [&] { return handler_->on_body(eom.bytes); });
  }
  if (early.verdict == Verdict::continue_ || early.verdict == Verdict::skip) {
    const auto result = co_await run_end_of_message();
    output_.write(encode_end_of_message(result));
  } else {
    output_.write(encode_or_failure(early, "eom"));
  }
  end_message();
  co_return true;
}

bool Conversation::on(const Abort& /*abort*/) {
  if (stage_ != Stage::none) {
    handler_->on_abort();
  }
  end_message();
  return true;
}

bool Conversation::on(const Quit& /*quit*/) { return false; }

bool Conversation::on(const QuitNoClose& /*quit*/) {
  handler_.reset();
  macros_.clear();
  stage_ = Stage::none;
  body_skipped_ = false;
  fresh_ = true;
  return make_handler();
}

bool Conversation::on(const UnknownCommand& command) {
  fresh_ = false;
  auto r = call("unknown", [&] { return handler_->on_unknown(command); });
  return reply(std::move(r), Step::no_reply_unknown, "unknown");
}

// ---------------------------------------------------------------- replies

bool Conversation::reply(Reply r, Step no_reply, std::string_view event, bool skip_allowed) {
  if (negotiated_.steps.has(no_reply)) {
    if (r.verdict != Verdict::continue_) {
      spdlog::warn("milter: peer={} queue_id={} event={} detail=\"reply dropped: the MTA expects none\"", peer_,
                   queue_id(), event);
    }
    return true;
  }
  if (r.verdict == Verdict::skip && !skip_allowed) {
    r = Reply::continue_();
  }
  output_.write(encode_or_failure(r, event));
  return true;
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
asio::awaitable<EndOfMessageResult> Conversation::run_end_of_message() {
  output_.end_of_message_running(true);
  std::optional<EndOfMessageResult> result;
  try {
    result = co_await handler_->on_end_of_message();
  } catch (const std::exception& e) {
    spdlog::error("milter: peer={} queue_id={} event=eom detail=\"handler failed: {}\"", peer_, queue_id(), e.what());
  }
  output_.end_of_message_running(false);
  co_return result ? std::move(*result) : EndOfMessageResult{{}, options_.on_handler_error};
}

}  // namespace domainauth::milter
