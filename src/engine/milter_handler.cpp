// The milter pipeline handler (see milter_handler.hpp).
#include "engine/milter_handler.hpp"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>

#include "arc/sealer.hpp"
#include "arc/validator.hpp"
#include "dkim/signer.hpp"
#include "dkim/verifier.hpp"
#include "dmarc/dmarc.hpp"
#include "engine/deadline_resolver.hpp"
#include "engine/history_row.hpp"
#include "engine/dmarc_decision.hpp"
#include "engine/failure_reporter.hpp"
#include "engine/pending.hpp"
#include "engine/pipeline.hpp"
#include "spf/spf.hpp"

namespace domainauth::engine {
namespace {

using milter::Reply;

// SPF of MAIL FROM, run detached from MAIL FROM on; owns what it uses.
asio::awaitable<spf::Outcome> check_spf(std::shared_ptr<const MilterContext> context,
                                        std::shared_ptr<DeadlineResolver> resolver, net::IpAddress ip,
                                        std::string sender, std::string helo) {
  const spf::Options options = context->config->spf.check_options();
  co_return co_await spf::check_mail_from(*resolver, options, ip, std::move(sender), std::move(helo));
}

// Hashing the rest and the RSA / Ed25519 operation, on the crypto pool.
asio::awaitable<std::vector<dkim::SignOutput>> finish_signing(dkim::Signer* signer) { co_return signer->finish(); }
asio::awaitable<arc::SealOutput> finish_sealing(arc::Sealer* sealer, arc::ChainStatus status,
                                                std::vector<mail::HeaderField> added) {
  co_return sealer->finish(status, added);
}

// "DKIM-Signature: v=1;..." with CRLF folds -> the value with LF folds, as the milter wants it.
std::string milter_value(std::string_view value, bool leading_space) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
    out += value[i];
  }
  if (!leading_space && !out.empty() && out.front() == ' ') out.erase(0, 1);
  return out;
}

// Verifying one message: the per-message state.
struct Message {
  std::shared_ptr<DeadlineResolver> resolver;
  std::string mail_from;
  Origin origin;
  Pending<spf::Outcome> spf;
  std::optional<HeaderBlock> headers;
  std::optional<dkim::Signer> signer;
  std::optional<dkim::Verifier> verifier;
  std::optional<arc::Validator> arc;  // only when the message carries ARC fields
  std::optional<arc::Sealer> sealer;  // arc.seal: the ARC set added to verified mail
  std::vector<std::string> signing_keys;  // "d=/s=" for the log
  std::string note;
  bool keep_body = false;  // for a failure report (failure_reports.include_body)
  std::string body;        // kept while within report::kMaxReportedBody
};

class MilterHandler final : public milter::MessageHandler {
 public:
  MilterHandler(std::shared_ptr<const MilterContext> context, const milter::SessionContext& session)
      : context_(std::move(context)), session_(session),
        leading_space_(session.negotiated.steps.has(milter::Step::header_leading_space)) {}

  asio::awaitable<Reply> on_connect(const milter::Connect& connect) override {
    client_ = {connect.ip, std::string(connect.hostname), ""};
    co_return Reply::continue_();
  }

  asio::awaitable<Reply> on_helo(const milter::Helo& helo) override {
    helo_ = std::string(helo.name);
    co_return Reply::continue_();
  }

  asio::awaitable<Reply> on_mail_from(const milter::MailFrom& mail) override {
    const auto executor = co_await asio::this_coro::executor;
    guarded([&] { begin_message(executor, mail); });
    co_return Reply::continue_();
  }

  asio::awaitable<Reply> on_header(const milter::Header& header) override {
    guarded([&] { message().headers->add(header.name, header.value); });
    co_return Reply::continue_();
  }

  asio::awaitable<Reply> on_end_of_headers() override {
    guarded([&] { end_of_headers(); });
    co_return Reply::continue_();
  }

  asio::awaitable<Reply> on_body(std::string_view chunk) override {
    if (!message_ || !failure_.empty()) co_return Reply::skip();
    Message& m = *message_;
    if (m.signer) {
      m.signer->body(chunk);
      co_return Reply::continue_();
    }
    if (m.keep_body) keep_body(m, chunk);
    if (m.verifier) m.verifier->body(chunk);
    if (m.arc) m.arc->body(chunk);
    if (m.sealer) m.sealer->body(chunk);
    if (!m.verifier && !m.arc && !m.sealer && !m.keep_body) co_return Reply::skip();  // nothing needs the body
    co_return Reply::continue_();
  }

  asio::awaitable<milter::EndOfMessageResult> on_end_of_message() override {
    milter::EndOfMessageResult result;
    std::string outcome;
    if (failure_.empty()) {
      try {
        result = co_await finish(outcome);
      } catch (const std::exception& e) {
        failure_ = e.what();
      }
    }
    std::string action;
    if (!failure_.empty()) {
      const bool tempfail = config().milter.on_internal_error == config::FailureAction::tempfail;
      result = {{}, tempfail ? internal_error_reply() : Reply::continue_()};
      outcome += " error=\"" + failure_ + "\"";
    }
    log(outcome, result.reply);
    message_.reset();
    failure_.clear();
    co_return result;
  }

  void on_abort() override {
    message_.reset();
    failure_.clear();
  }

 private:
  const config::Config& config() const { return *context_->config; }
  Message& message() {
    if (!message_) throw std::logic_error("message event before MAIL FROM");
    return *message_;
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

  void begin_message(const asio::any_io_executor& executor, const milter::MailFrom& mail) {
    message_.emplace();
    failure_.clear();
    Message& m = *message_;
    const auto& c = config();
    m.resolver = std::make_shared<DeadlineResolver>(executor, context_->resolver);
    m.mail_from = envelope_address(mail.address);
    client_.auth_user = std::string(session_.macros.get("{auth_authen}").value_or(""));
    m.origin = classify_client(c.sign, client_);
    m.headers.emplace(c.milter.authserv_id, c.milter.max_headers, c.milter.max_header_bytes, leading_space_);
    // Originators' mail is signed, not judged: no SPF for it (as OpenDKIM Mode sv).
    if (!m.origin.originator() && client_.ip && c.dmarc.spf_self_validate) {
      m.spf.start(executor, check_spf(context_, m.resolver, *client_.ip, m.mail_from, helo_));
    }
  }

  void end_of_headers() {
    Message& m = message();
    if (m.headers->over_limit()) return;
    const auto& c = config();
    auto plan = plan_signing(c.sign, m.origin, m.headers->fields());
    m.note = plan.note;
    if (!plan.requests.empty()) {
      for (const auto& r : plan.requests) m.signing_keys.push_back(r.domain + "/" + r.selector);
      m.signer.emplace(std::move(plan.requests), m.headers->fields());
      return;
    }
    if (!m.origin.originator() && !m.origin.ignored && c.sign.can_sign()) {
      if (auto address = signing_address(m.headers->fields()); address && !c.sign.keys_for(*address).empty()) {
        m.note = "external-host-sends-as-signing-domain";
      }
    }
    if (const auto& reporter = context_->failure_reporter) {
      m.keep_body = reporter->settings().include_body && !reporter->settings().redact;
    }
    if (m.headers->signatures() > 0) {
      m.verifier.emplace(*m.resolver, c.verify.options(), m.headers->fields());
    }
    // RFC 8617 5.2: the ARC chain, when there is one (arc= is reported only then).
    const auto& fields = m.headers->fields();
    if (std::any_of(fields.begin(), fields.end(), [](const auto& f) { return f.is(arc::kSealField); })) {
      m.arc.emplace(*m.resolver, arc::ValidateOptions{}, fields);
    }
    if (c.arc.key && !m.origin.originator()) {
      m.sealer.emplace(arc::SealRequest(c.arc.domain, c.arc.selector, *c.arc.key, c.milter.authserv_id),
                       m.headers->delivered_fields());
    }
    // The DMARC record is asked for now; evaluate() at end of message finds it in the cache.
    if (auto address = signing_address(m.headers->fields())) {
      m.resolver->query("_dmarc." + address->substr(address->rfind('@') + 1), dns::RecordType::txt,
                        [](dns::Answer) {});
    }
  }

  asio::awaitable<milter::EndOfMessageResult> finish(std::string& outcome) {
    Message& m = message();
    m.resolver->expire_after(config().dns.timeout);
    milter::EndOfMessageResult result;
    for (auto& removal : m.headers->forged_removals()) result.modifications.emplace_back(std::move(removal));
    if (m.signer) {
      co_await sign(m, result);
      outcome = "role=sign signed=" + join(m.signing_keys);
      co_return result;
    }
    Results r;
    r.mail_from = m.mail_from;
    r.helo = helo_;
    if (m.headers->over_limit()) r.dkim_error = "header block over the configured limits";
    // Verification stays on the event loop: checking a signature costs a small
    // fraction of making one (RSA-2048 verify ~0.03 ms, Ed25519 ~0.1 ms), less
    // than handing it to another thread and back.
    if (m.verifier) r.dkim = co_await m.verifier->finish();
    if (m.arc) r.arc = co_await m.arc->finish();
    if (m.spf.started()) r.spf = co_await m.spf.join();
    const auto& c = config();
    if (!c.dmarc.spf_self_validate) r.upstream_spf = upstream_spf(m.headers->fields(), c.dmarc.trusted_authserv_ids);
    if (!m.headers->over_limit()) {
      dmarc_options_.mode = c.dmarc.mode;
      dmarc_options_.psl = c.dmarc.psl.get();
      r.dmarc = co_await dmarc::evaluate(*m.resolver, dmarc_options_, dmarc_input(r, m.headers->fields()));
    }
    outcome = "role=verify " + summary(r);
    if (!m.note.empty()) outcome += " note=" + m.note;
    if (has_temperror(r) && c.milter.on_dns_error == config::FailureAction::tempfail) {
      record_history(r, dmarc::Policy::none);
      co_return milter::EndOfMessageResult{{}, dns_error_reply()};
    }
    if (r.dmarc) {
      const auto decision = decide_dmarc(c.dmarc, *r.dmarc, {m.origin.internal, m.origin.authenticated});
      record_history(r, applied_disposition(decision));
      const auto executor = co_await asio::this_coro::executor;
      report_failure(executor, m, r, decision);
      outcome += " dmarc_policy=" + std::string(dmarc::to_string(r.dmarc->policy)) +
                 " dmarc_disposition=" + std::string(dmarc::to_string(r.dmarc->disposition)) +
                 " dmarc_action=" + std::string(to_string(decision.action));
      if (!decision.skipped.empty()) outcome += " dmarc_skipped=" + decision.skipped;
      switch (decision.action) {
        case DmarcAction::reject: co_return milter::EndOfMessageResult{{}, decision.reply};
        case DmarcAction::quarantine: result.modifications.emplace_back(milter::Quarantine{decision.reason}); break;
        case DmarcAction::mark:
          result.modifications.emplace_back(milter::InsertHeader{
              0, std::string(kQuarantineField), milter_value(" " + decision.reason, leading_space_)});
          break;
        case DmarcAction::accept: break;
      }
    }
    auto authres = add_results(r, result);
    if (m.sealer) co_await seal(m, r, std::move(authres), result, outcome);
    co_return result;
  }

  // Hands the message's row, with the disposition applied, to the history (a
  // queue; never waits for the database).
  void record_history(const Results& r, dmarc::Policy applied) const {
    if (!context_->history) return;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    if (auto row = history_row(r, client_, now.count(), applied)) context_->history->record(std::move(*row));
  }

  static void keep_body(Message& m, std::string_view chunk) {
    if (m.body.size() + chunk.size() > report::kMaxReportedBody) {
      m.keep_body = false;  // too large to report: headers only
      m.body.clear();
      m.body.shrink_to_fit();
      return;
    }
    m.body.append(chunk);
  }

  // Hands what the failure reports of this message need to the reporter, which
  // decides (fo=, rate limit) and sends in the background.
  void report_failure(const asio::any_io_executor& executor, Message& m, const Results& r,
                      const DmarcDecision& decision) {
    const auto& reporter = context_->failure_reporter;
    const auto& outcome = *r.dmarc;
    if (!reporter || !outcome.record || outcome.record->ruf.empty()) return;
    if (!client_skip_reason(config().dmarc, {m.origin.internal, m.origin.authenticated}, outcome.author_domain)
             .empty()) {
      return;
    }
    auto message = std::make_shared<report::ReportedMessage>();
    auto single = single_method_results(config().milter.authserv_id, r);
    message->outcome = outcome;
    message->dmarc_authres = std::move(single.dmarc);
    message->spf_failed = r.spf && r.spf->result == spf::Result::fail;
    message->spf_authres = std::move(single.spf);
    if (r.spf) message->spf_records = r.spf->records;
    for (std::size_t i = 0; i < r.dkim.size(); ++i) {
      const auto& d = r.dkim[i];
      message->dkim.push_back({d.result == dkim::Result::fail, d.domain, d.identity, d.selector,
                               i < single.dkim.size() ? single.dkim[i] : std::string()});
    }
    message->queue_id = std::string(session_.macros.get("i").value_or(""));
    message->mail_from = m.mail_from;
    message->source_ip = client_.ip ? client_.ip->to_string() : "";
    message->headers = m.headers->fields();
    if (m.keep_body) message->body = std::move(m.body);
    switch (decision.action) {
      case DmarcAction::reject: message->delivery = report::DeliveryResult::reject; break;
      case DmarcAction::quarantine: message->delivery = report::DeliveryResult::policy; break;
      case DmarcAction::mark: message->delivery = report::DeliveryResult::spam; break;
      case DmarcAction::accept: message->delivery = report::DeliveryResult::delivered; break;
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    reporter->consider(executor, context_->resolver, std::move(message), now.count());
  }

  asio::awaitable<void> sign(Message& m, milter::EndOfMessageResult& result) {
    auto work = finish_signing(&*m.signer);
    auto outputs = co_await asio::co_spawn(context_->crypto, std::move(work), asio::use_awaitable);
    // Inserted on top in reverse, so the first key's signature ends up first.
    for (auto it = outputs.rbegin(); it != outputs.rend(); ++it) {
      if (!it->error.empty()) throw std::runtime_error("signing failed: " + it->error);
      const auto colon = it->field.find(':');
      result.modifications.emplace_back(
          milter::InsertHeader{0, it->field.substr(0, colon), milter_value(it->field.substr(colon + 1), leading_space_)});
    }
  }

  // Adds Received-SPF (when configured) and Authentication-Results on top;
  // returns the latter as a header field, CRLF-folded.
  mail::HeaderField add_results(const Results& r, milter::EndOfMessageResult& result) const {
    const auto& c = config();
    if (c.milter.received_spf && r.spf && client_.ip) {
      const auto value = " " + spf::received_spf(*r.spf, *client_.ip, helo_, c.spf.receiver);
      result.modifications.emplace_back(milter::InsertHeader{0, "Received-SPF", milter_value(value, leading_space_)});
    }
    const auto value = authres::format(authentication_results(c.milter.authserv_id, r));  // " id; ...", CRLF folds
    result.modifications.emplace_back(
        milter::InsertHeader{0, "Authentication-Results", milter_value(value, leading_space_)});
    return {"Authentication-Results", "Authentication-Results:" + value};
  }

  // RFC 8617 5.1: the ARC set over the message as it leaves (forged A-R gone,
  // ours on top), on the crypto threads like DKIM signing; added above the A-R.
  asio::awaitable<void> seal(Message& m, const Results& r, mail::HeaderField authres,
                             milter::EndOfMessageResult& result, std::string& outcome) {
    const auto status = r.arc ? r.arc->status : arc::ChainStatus::none;
    auto work = finish_sealing(&*m.sealer, status, {std::move(authres)});
    const auto set = co_await asio::co_spawn(context_->crypto, std::move(work), asio::use_awaitable);
    if (!set.sealed()) {
      outcome += " arc_seal=no arc_seal_reason=\"" + set.reason + "\"";
      co_return;
    }
    for (const auto* field : {&set.aar, &set.ams, &set.seal}) {
      const auto colon = field->find(':');
      result.modifications.emplace_back(
          milter::InsertHeader{0, field->substr(0, colon), milter_value(field->substr(colon + 1), leading_space_)});
    }
    outcome += " arc_seal=yes arc_cv=" + std::string(arc::to_string(status));
  }

  void log(const std::string& outcome, const Reply& reply) const {
    const auto id = session_.macros.get("i").value_or("NOQUEUE");
    std::string action;
    switch (reply.verdict) {
      case milter::Verdict::continue_: action = "accept"; break;
      case milter::Verdict::smtp_reply:
        action = (reply.smtp.code >= 500 ? "reject code=" : "tempfail code=") + std::to_string(reply.smtp.code);
        break;
      default: action = "other"; break;
    }
    spdlog::info("event=message queue_id={} client={} auth={} {} action={}", id,
                 client_.ip ? client_.ip->to_string() : "unknown", client_.auth_user.empty() ? "no" : "yes", outcome,
                 action);
  }

  static std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
  }

  std::shared_ptr<const MilterContext> context_;
  milter::SessionContext session_;
  bool leading_space_;
  Client client_;
  std::string helo_;
  std::optional<Message> message_;
  std::string failure_;  // an internal error seen earlier in this message
  dmarc::Options dmarc_options_;
};

}  // namespace

milter::Capabilities milter_capabilities() {
  using milter::Step;
  milter::Capabilities capabilities;
  capabilities.actions = milter::Action::add_headers | milter::Action::change_headers | milter::Action::quarantine;
  // Every event we always answer with continue needs no reply; RCPT, DATA and
  // unknown commands are of no interest. Skip lets us stop the body early.
  capabilities.steps = Step::no_rcpt | Step::no_data | Step::no_unknown | Step::no_reply_connect |
                       Step::no_reply_helo | Step::no_reply_mail | Step::no_reply_header |
                       Step::no_reply_end_of_headers | Step::header_leading_space | Step::skip;
  return capabilities;
}

std::unique_ptr<milter::MessageHandler> make_milter_handler(std::shared_ptr<const MilterContext> context,
                                                            const milter::SessionContext& session) {
  return std::make_unique<MilterHandler>(std::move(context), session);
}

}  // namespace domainauth::engine
