// The milter front end of the engine (see engine_handler.hpp).
#include "milter/engine_handler.hpp"

// g++ 12 misreports asio's awaitable frame allocator as mismatched new/delete
// once awaitables are inlined here (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <stdexcept>

#include "engine/message_check.hpp"
#include "metrics/counters.hpp"

namespace domainauth::milter {
namespace {

// Appends value with its folds as CRLF, whatever the MTA used (Postfix sends LF).
void append_crlf_folds(std::string& out, std::string_view value) {
  for (std::size_t at = 0; at < value.size();) {
    const auto lf = value.find('\n', at);
    if (lf == std::string_view::npos) {
      out.append(value.substr(at));
      break;
    }
    out.append(value.substr(at, lf - at));
    out.append(lf > 0 && value[lf - 1] == '\r' ? "\n" : "\r\n");
    at = lf + 1;
  }
}

// A field's value with CRLF folds -> LF folds, as the milter wants it; without
// SMFIP_HDR_LEADSPC the MTA puts the space after the colon itself.
std::string milter_value(std::string_view value, bool leading_space) {
  if (!leading_space && !value.empty() && value.front() == ' ') value.remove_prefix(1);
  std::string out;
  out.reserve(value.size());
  for (std::size_t at = 0; at < value.size();) {
    const auto crlf = value.find("\r\n", at);
    if (crlf == std::string_view::npos) {
      out.append(value.substr(at));
      break;
    }
    out.append(value.substr(at, crlf - at));
    out += '\n';
    at = crlf + 2;
  }
  return out;
}

class EngineHandler final : public MessageHandler {
 public:
  EngineHandler(std::shared_ptr<const engine::Context> context, const SessionContext& session)
      : context_(std::move(context)), session_(session),
        leading_space_(session.negotiated.steps.has(Step::header_leading_space)) {}

  Reply on_connect(const Connect& connect) override {
    client_ = {connect.ip, std::string(connect.hostname), ""};
    return Reply::continue_();
  }

  Reply on_helo(const Helo& helo) override {
    helo_ = std::string(helo.name);
    return Reply::continue_();
  }

  Reply on_mail_from(const MailFrom& mail) override {
    guarded([&] {
      client_.auth_user = std::string(session_.macros.get("{auth_authen}").value_or(""));
      engine::Envelope envelope{client_, helo_, engine::envelope_address(mail.address), ""};
      check_.emplace(context_, session_.executor, std::move(envelope), engine::classify_client(config().sign, client_));
    });
    return Reply::continue_();
  }

  Reply on_header(const Header& header) override {
    guarded([&] {
      std::string raw;
      raw.reserve(header.name.size() + header.value.size() + 8);
      raw.append(header.name).append(leading_space_ ? ":" : ": ");
      append_crlf_folds(raw, header.value);
      check().header({std::string(header.name), std::move(raw)});
    });
    return Reply::continue_();
  }

  Reply on_end_of_headers() override {
    guarded([&] { check().end_of_headers(); });
    return Reply::continue_();
  }

  Reply on_body(std::string_view chunk) override {
    if (!check_ || !failure_.empty() || !check_->wants_body()) return Reply::skip();
    guarded([&] { check_->body(chunk); });
    return Reply::continue_();
  }

  asio::awaitable<EndOfMessageResult> on_end_of_message() override {
    const auto started = std::chrono::steady_clock::now();
    EndOfMessageResult result;
    std::string outcome;
    auto action = metrics::Action::accept;
    if (failure_.empty()) {
      try {
        check().set_queue_id(std::string(session_.macros.get("i").value_or("")));
        const auto conclusion = co_await check().conclude();
        outcome = conclusion.outcome;
        result = translate(conclusion);
        action = metric_action(conclusion.verdict);
      } catch (const std::exception& e) {
        failure_ = e.what();
      }
    }
    if (!failure_.empty()) {
      const bool tempfail = config().milter.on_internal_error == config::FailureAction::tempfail;
      result = {{}, tempfail ? to_reply(engine::internal_error_reply()) : Reply::continue_()};
      action = tempfail ? metrics::Action::tempfail : metrics::Action::accept;
      outcome += " error=\"" + failure_ + "\"";
    }
    metrics::counters().message(check_ && check_->signing() ? metrics::Direction::sign : metrics::Direction::verify,
                                action, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    log(outcome, result.reply);
    check_.reset();
    failure_.clear();
    co_return result;
  }

  void on_abort() override {
    check_.reset();
    failure_.clear();
  }

 private:
  const config::Config& config() const { return *context_->config; }
  engine::MessageCheck& check() {
    if (!check_) throw std::logic_error("message event before MAIL FROM");
    return *check_;
  }

  // Events whose reply the MTA does not wait for keep their failure for end of message.
  template <typename F>
  void guarded(F f) {
    if (!failure_.empty()) return;
    try {
      f();
    } catch (const std::exception& e) {
      failure_ = e.what();
    }
  }

  static metrics::Action metric_action(engine::Verdict verdict) {
    switch (verdict) {
      case engine::Verdict::accept: return metrics::Action::accept;
      case engine::Verdict::reject: return metrics::Action::reject;
      case engine::Verdict::tempfail: return metrics::Action::tempfail;
      case engine::Verdict::quarantine: return metrics::Action::quarantine;
    }
    return metrics::Action::tempfail;
  }

  // The conclusion as milter modifications (deletions, quarantine, then the new
  // fields inserted on top, bottom one first) and the final reply.
  EndOfMessageResult translate(const engine::Conclusion& conclusion) const {
    EndOfMessageResult result;
    switch (conclusion.verdict) {
      case engine::Verdict::reject:
      case engine::Verdict::tempfail: return {{}, to_reply(conclusion.reply)};
      case engine::Verdict::quarantine:
      case engine::Verdict::accept: break;
    }
    for (const auto index : conclusion.removed_authres) {
      result.modifications.emplace_back(ChangeHeader{index, "Authentication-Results", ""});
    }
    if (conclusion.verdict == engine::Verdict::quarantine) {
      result.modifications.emplace_back(Quarantine{conclusion.quarantine_reason});
    }
    for (auto it = conclusion.added.rbegin(); it != conclusion.added.rend(); ++it) {
      result.modifications.emplace_back(InsertHeader{0, it->name, milter_value(it->value(), leading_space_)});
    }
    return result;
  }

  void log(const std::string& outcome, const Reply& reply) const {
    if (!spdlog::should_log(spdlog::level::info)) return;  // the arguments cost allocations
    const auto id = session_.macros.get("i").value_or("NOQUEUE");
    std::string action;
    switch (reply.verdict) {
      case Verdict::continue_: action = "accept"; break;
      case Verdict::smtp_reply:
        action = (reply.smtp.code >= 500 ? "reject code=" : "tempfail code=") + std::to_string(reply.smtp.code);
        break;
      default: action = "other"; break;
    }
    spdlog::info("event=message queue_id={} client={} auth={} {} action={}", id,
                 client_.ip ? client_.ip->to_string() : "unknown", client_.auth_user.empty() ? "no" : "yes", outcome,
                 action);
  }

  std::shared_ptr<const engine::Context> context_;
  SessionContext session_;
  bool leading_space_;
  engine::Client client_;
  std::string helo_;
  std::optional<engine::MessageCheck> check_;
  std::string failure_;  // an internal error seen earlier in this message
};

}  // namespace

Capabilities engine_capabilities() {
  Capabilities capabilities;
  capabilities.actions = Action::add_headers | Action::change_headers | Action::quarantine;
  // Every event we always answer with continue needs no reply; RCPT, DATA and
  // unknown commands are of no interest. Body chunks get no reply either: the MTA
  // streams the body and the end of message without waiting for us after each
  // chunk (one round trip less per message and per 64 KB). When a body is not
  // needed we then read it and drop it; skip stops it early only with an MTA that
  // does not offer SMFIP_NR_BODY.
  capabilities.steps = Step::no_rcpt | Step::no_data | Step::no_unknown | Step::no_reply_connect |
                       Step::no_reply_helo | Step::no_reply_mail | Step::no_reply_header |
                       Step::no_reply_end_of_headers | Step::no_reply_body | Step::header_leading_space |
                       Step::skip;
  return capabilities;
}

Reply to_reply(const engine::SmtpReply& reply) { return Reply::with_smtp(reply.code, reply.status, reply.text); }

std::unique_ptr<MessageHandler> make_engine_handler(std::shared_ptr<const engine::Context> context,
                                                    const SessionContext& session) {
  return std::make_unique<EngineHandler>(std::move(context), session);
}

}  // namespace domainauth::milter
