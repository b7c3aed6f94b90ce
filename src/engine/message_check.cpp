// The check of one message (see message_check.hpp).
#include "engine/message_check.hpp"

// g++ 12 misreports asio's awaitable frame allocator as mismatched new/delete
// once awaitables are inlined here (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <asio/co_spawn.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>

#include "arc/sealer.hpp"
#include "arc/validator.hpp"
#include "dkim/signer.hpp"
#include "dkim/verifier.hpp"
#include "dmarc/author.hpp"
#include "dmarc/dmarc.hpp"
#include "dmarc/psl.hpp"
#include "engine/deadline_resolver.hpp"
#include "engine/failure_reporter.hpp"
#include "engine/history_row.hpp"
#include "engine/pending.hpp"
#include "engine/thread_load.hpp"
#include "mail/lexical.hpp"
#include "metrics/counters.hpp"
#include "spf/spf.hpp"
#include "text/ascii.hpp"

namespace domainauth::engine {
namespace {

// SPF of MAIL FROM, run detached from MAIL FROM on; owns what it uses.
asio::awaitable<spf::Outcome> check_spf(std::shared_ptr<const Context> context,
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

// The messages at their end right now (in this process: one event loop), while
// one is alive.
class Concluding {
 public:
  Concluding() { ++now_; }
  ~Concluding() { --now_; }
  Concluding(const Concluding&) = delete;
  Concluding& operator=(const Concluding&) = delete;
  [[nodiscard]] static std::size_t count() { return now_.load(std::memory_order_relaxed); }

 private:
  static inline std::atomic<std::size_t> now_{0};
};

// How busy this thread (the event loop) has been lately, and from what busy
// fraction an RSA signature leaves it for the crypto pool.
thread_local ThreadLoad loop_load;
constexpr double kBusyLoop = 0.5;

// Runs work on the crypto executor, or here when there is none.
template <class T>
asio::awaitable<T> on_crypto(const asio::any_io_executor& crypto, asio::awaitable<T> work) {
  if (!crypto) co_return co_await std::move(work);
  co_return co_await asio::co_spawn(crypto, std::move(work), asio::use_awaitable);
}

// "Name: value" (as signers write fields) as a header field.
mail::HeaderField field_of(const std::string& text) {
  return {text.substr(0, text.find(':')), text};
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// DMARC discovery's lookups, asked now and all at once, so that evaluate() at
// end of message finds the answers waiting and the one DNS budget there covers
// only what the message still waits for: the records of the RFC 9989 tree walk
// (or, with the PSL, the domain's and its Organizational Domain's) for the
// first author domains and the envelope domain SPF checks.
void prefetch_dmarc(dns::Resolver& resolver, const config::DmarcSettings& dmarc,
                    const std::vector<std::string>& author_domains, std::string_view mail_from) {
  constexpr std::size_t kPrefetchedDomains = 4;  // evaluate() asks for the rest itself
  std::vector<std::string> domains(author_domains.begin(),
                                   author_domains.begin() + std::min(author_domains.size(), kPrefetchedDomains));
  if (const auto envelope = text::to_lower(mail::address_domain(mail_from));
      !envelope.empty() && std::find(domains.begin(), domains.end(), envelope) == domains.end()) {
    domains.push_back(envelope);
  }
  std::vector<std::string> names;
  for (const auto& domain : domains) {
    if (dmarc.mode == dmarc::OrgDomainMode::rfc9989_tree_walk) {
      for (auto& name : dmarc::tree_walk_names(domain)) names.push_back(std::move(name));
      continue;
    }
    names.push_back(domain);
    if (auto org = dmarc.psl ? dmarc.psl->organizational_domain(domain) : std::nullopt; org && *org != domain) {
      names.push_back(std::move(*org));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const auto& name : names) resolver.query("_dmarc." + name, dns::RecordType::txt, [](dns::Answer) {});
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

struct MessageCheck::State {
  State(const asio::any_io_executor& loop, const Context& context, Envelope client_envelope, Origin client_origin)
      : executor(loop), resolver(std::make_shared<DeadlineResolver>(loop, context.resolver)),
        envelope(std::move(client_envelope)), origin(client_origin),
        headers(context.config->milter.authserv_id, context.config->milter.max_headers,
                context.config->milter.max_header_bytes) {}

  asio::any_io_executor executor;
  std::shared_ptr<DeadlineResolver> resolver;
  Envelope envelope;
  Origin origin;
  Pending<spf::Outcome> spf;
  HeaderBlock headers;
  // The From fields read once, at end of headers (or at end of message if the
  // MTA never said the headers ended).
  const Sender& from() {
    if (!sender) sender = sender_of(headers.from_values());
    return *sender;
  }
  std::optional<dkim::Signer> signer;
  std::optional<dkim::Verifier> verifier;
  std::optional<arc::Validator> arc;  // only when the message carries ARC fields
  std::optional<arc::Sealer> sealer;  // arc.seal: the ARC set added to verified mail
  std::vector<std::string> signing_keys;  // "d=/s=" for the log
  std::vector<metrics::Algorithm> signing_algorithms;  // one per request, for /metrics
  std::string note;
  // Why an originator's mail that is not signed is not judged either (the
  // DMARC client skip reason), or empty.
  std::string not_judged;
  bool keep_body = false;  // for a failure report (failure_reports.include_body)
  std::string body;        // kept while within report::kMaxReportedBody
  dmarc::Options dmarc_options;
  std::optional<Sender> sender;
};

MessageCheck::MessageCheck(std::shared_ptr<const Context> context, const asio::any_io_executor& executor,
                           Envelope envelope, Origin origin)
    : context_(std::move(context)) {
  const auto& c = *context_->config;
  state_ = std::make_unique<State>(executor, *context_, std::move(envelope), origin);
  State& m = *state_;
  // Originators' mail is signed, not judged: no SPF for it (as OpenDKIM Mode sv).
  if (!m.origin.originator() && m.envelope.client.ip && c.dmarc.spf_self_validate) {
    m.spf.start(executor, check_spf(context_, m.resolver, *m.envelope.client.ip, m.envelope.mail_from,
                                    m.envelope.helo));
  }
}

MessageCheck::~MessageCheck() = default;

bool MessageCheck::signing() const { return state_->signer.has_value(); }

void MessageCheck::set_queue_id(std::string id) { state_->envelope.queue_id = std::move(id); }

void MessageCheck::header(mail::HeaderField field) { state_->headers.add(std::move(field)); }

void MessageCheck::end_of_headers() {
  State& m = *state_;
  const auto& c = *context_->config;
  if (m.headers.over_limit()) {  // neither signed nor verified; DMARC still judges it
    prefetch_dmarc(*m.resolver, c.dmarc, m.from().author.domains, m.envelope.mail_from);
    return;
  }
  auto plan = plan_signing(c.sign, m.origin, m.from().address);
  m.note = plan.note;
  if (!plan.requests.empty()) {
    for (const auto& r : plan.requests) {
      m.signing_keys.push_back(r.domain + "/" + r.selector);
      if (const auto a = metrics::algorithm_from_name(dkim::to_string(r.key.algorithm()))) {
        m.signing_algorithms.push_back(*a);
      }
    }
    m.signer.emplace(std::move(plan.requests), m.headers.fields());
    return;
  }
  // Mail a client DMARC skips (internal hosts; authenticated clients with
  // dmarc.ignore_authenticated_clients) that is not signed leaves as it came:
  // OpenDKIM neither signs nor verifies it, OpenDMARC ignores the connection, and
  // no history row makes our own outgoing mail part of a report to its domain.
  if (m.origin.originator()) {
    m.not_judged = client_skip_reason(c.dmarc, {m.origin.internal, m.origin.authenticated});
    if (!m.not_judged.empty()) return;
  }
  if (!m.origin.originator() && !m.origin.ignored && c.sign.can_sign()) {
    if (const auto& address = m.from().address; address && !c.sign.keys_for(*address).empty()) {
      m.note = "external-host-sends-as-signing-domain";
    }
  }
  if (const auto& reporter = context_->failure_reporter) {
    m.keep_body = reporter->settings().include_body && !reporter->settings().redact;
  }
  if (m.headers.signatures() > 0) m.verifier.emplace(*m.resolver, c.verify.options(), m.headers.fields());
  // RFC 8617 5.2: the ARC chain, when there is one (arc= is reported only then).
  const auto& fields = m.headers.fields();
  if (std::any_of(fields.begin(), fields.end(), [](const auto& f) { return f.is(arc::kSealField); })) {
    m.arc.emplace(*m.resolver, arc::ValidateOptions{}, fields);
  }
  if (c.arc.key && !m.origin.originator()) {
    m.sealer.emplace(arc::SealRequest(c.arc.domain, c.arc.selector, *c.arc.key, c.milter.authserv_id),
                     m.headers.delivered_fields());
  }
  prefetch_dmarc(*m.resolver, c.dmarc, m.from().author.domains, m.envelope.mail_from);
}

bool MessageCheck::wants_body() const {
  const State& m = *state_;
  return m.signer || m.verifier || m.arc || m.sealer || m.keep_body;
}

void MessageCheck::body(std::string_view chunk) {
  State& m = *state_;
  if (m.signer) {
    m.signer->body(chunk);
    return;
  }
  if (m.keep_body) {
    if (m.body.size() + chunk.size() > report::kMaxReportedBody) {
      m.keep_body = false;  // too large to report: headers only
      m.body.clear();
      m.body.shrink_to_fit();
    } else {
      m.body.append(chunk);
    }
  }
  if (m.verifier) m.verifier->body(chunk);
  if (m.arc) m.arc->body(chunk);
  if (m.sealer) m.sealer->body(chunk);
}

namespace {

// Hands the message's row, with the disposition applied, to the history (a
// queue; never waits for the database).
void record_history(const Context& context, const Client& client, const Results& r, dmarc::Policy applied) {
  if (!context.history) return;
  if (auto row = history_row(r, client, now_seconds(), applied)) context.history->record(std::move(*row));
}

// Hands what the failure reports of this message need to the reporter, which
// decides (DMARC: fo=, DKIM: r=y and the reporting record; rate limit) and
// sends in the background. decision: the DMARC one, null when DMARC was not
// evaluated.
void report_failure(const Context& context, const asio::any_io_executor& executor,
                    const Envelope& envelope, const Origin& origin, const HeaderBlock& headers, std::string body,
                    const Results& r, const DmarcDecision* decision) {
  const auto& reporter = context.failure_reporter;
  const auto& config = *context.config;
  if (!reporter) return;
  // Without ruf= only the operator's copies (failure_reports.bcc) are sent.
  const bool dmarc = config.failure_reports.enabled && r.dmarc && r.dmarc->record &&
                     (!r.dmarc->record->ruf.empty() || !config.failure_reports.bcc.empty());
  const bool dkim = config.failure_reports.dkim &&
                    std::any_of(r.dkim.begin(), r.dkim.end(), [](const auto& d) { return d.reports_requested; });
  if (!dmarc && !dkim) return;
  if (!client_skip_reason(config.dmarc, {origin.internal, origin.authenticated}).empty()) return;
  auto message = std::make_shared<report::ReportedMessage>();
  auto single = single_method_results(config.milter.authserv_id, r);
  if (r.dmarc) message->outcome = *r.dmarc;
  message->dmarc_authres = std::move(single.dmarc);
  message->spf_failed = r.spf && r.spf->result == spf::Result::fail;
  message->spf_authres = std::move(single.spf);
  if (r.spf) message->spf_records = r.spf->records;
  for (std::size_t i = 0; i < r.dkim.size(); ++i) {
    const auto& d = r.dkim[i];
    message->dkim.push_back({d.result == dkim::Result::fail, d.domain, d.identity, d.selector,
                             i < single.dkim.size() ? single.dkim[i] : std::string(), d.reports_requested,
                             d.failure});
  }
  message->queue_id = envelope.queue_id;
  message->mail_from = envelope.mail_from;
  message->source_ip = envelope.client.ip ? envelope.client.ip->to_string() : "";
  message->headers = headers.fields();
  message->body = std::move(body);
  switch (decision ? decision->action : DmarcAction::accept) {
    case DmarcAction::reject: message->delivery = report::DeliveryResult::reject; break;
    case DmarcAction::quarantine: message->delivery = report::DeliveryResult::policy; break;
    case DmarcAction::mark: message->delivery = report::DeliveryResult::spam; break;
    case DmarcAction::accept: message->delivery = report::DeliveryResult::delivered; break;
  }
  const auto now = now_seconds();
  if (dmarc) reporter->consider(executor, context.resolver, message, now);
  if (dkim) reporter->consider_signatures(executor, context.resolver, message, now);
}

// /metrics: each method's results, as Authentication-Results reports them
// (dkim: one per signature, policy for those beyond verify.max_signatures).
void count_results(const Results& r) {
  auto& counters = metrics::counters();
  using metrics::Method;
  if (r.spf) counters.result(Method::spf, spf::to_string(r.spf->result));
  if (!r.dkim_error.empty()) {
    counters.result(Method::dkim, metrics::Result::permerror);
  } else if (r.dkim.empty()) {
    counters.result(Method::dkim, metrics::Result::none);
  }
  for (const auto& signature : r.dkim) {
    if (signature.checked) {
      counters.result(Method::dkim, dkim::to_string(signature.result));
    } else {
      counters.result(Method::dkim, metrics::Result::policy);
    }
  }
  if (r.dmarc) counters.result(Method::dmarc, dmarc::to_string(r.dmarc->result));
  if (r.arc) counters.result(Method::arc, arc::to_string(r.arc->status));
}

}  // namespace

asio::awaitable<Conclusion> MessageCheck::conclude() {
  const Concluding concluding;
  State& m = *state_;
  const auto& c = *context_->config;
  m.resolver->expire_after(c.dns.timeout);
  Conclusion out;
  out.removed_authres = m.headers.forged();
  if (m.signer) {
    auto work = finish_signing(&*m.signer);
    // The thread hand-offs to the crypto pool and back cost ~0.1 ms and a
    // dozen system calls. An Ed25519 signature (~50 µs) costs less: it is made
    // here. An RSA signature (~0.3 ms for 2048 bits) is made here too while no
    // other message is at its end (they would wait for it) and the loop has
    // been idle more than busy lately; else it goes to the pool, so that a busy
    // loop never stalls behind it and another core signs. (Measured without
    // Postfix, 100 sessions: deciding by the messages at their end alone left
    // the loop signing most messages itself, at 3/4 of the pool's throughput.)
    const bool rsa = std::ranges::find(m.signing_algorithms, metrics::Algorithm::rsa_sha256) !=
                     m.signing_algorithms.end();
    const asio::any_io_executor here;
    const bool to_pool = rsa && (concluding.count() != 1 || loop_load.busy() >= kBusyLoop);
    auto outputs = co_await on_crypto(to_pool ? context_->crypto : here, std::move(work));
    for (const auto& output : outputs) {
      if (!output.error.empty()) throw std::runtime_error("signing failed: " + output.error);
      out.added.push_back(field_of(output.field));
    }
    for (const auto algorithm : m.signing_algorithms) metrics::counters().signature(algorithm);
    out.outcome = "role=sign signed=" + join(m.signing_keys);
    co_return out;
  }
  if (!m.not_judged.empty()) {
    out.outcome = "role=originator not_judged=" + m.not_judged + (m.note.empty() ? "" : " note=" + m.note);
    co_return out;
  }
  // dmarc.required_headers (OpenDMARC RequiredHeaders): refused before anything is evaluated.
  if (c.dmarc.required_headers && client_skip_reason(c.dmarc, {m.origin.internal, m.origin.authenticated}).empty()) {
    if (const auto problem = required_headers_problem(m.headers, m.from().author); !problem.empty()) {
      out.verdict = Verdict::reject;
      out.reply = {550, "5.7.1", "Message rejected: " + problem + " (RFC 5322 3.6)"};
      out.outcome = "role=verify required_headers=\"" + problem + "\"";
      co_return out;
    }
  }
  Results& r = out.results;
  r.mail_from = m.envelope.mail_from;
  r.helo = m.envelope.helo;
  if (m.headers.over_limit()) r.dkim_error = "header block over the configured limits";
  // Verification stays on the event loop: checking a signature costs a small
  // fraction of making one (RSA-2048 verify ~0.03 ms, Ed25519 ~0.1 ms), less
  // than handing it to another thread and back.
  if (m.verifier) r.dkim = co_await m.verifier->finish();
  if (m.arc) r.arc = co_await m.arc->finish();
  if (m.spf.started()) r.spf = co_await m.spf.join();
  if (!c.dmarc.spf_self_validate) r.upstream_spf = upstream_spf(m.headers.fields(), c.dmarc.trusted_authserv_ids);
  // Also past the header limits: a limit ends in a verdict, never in a check skipped.
  const bool ignored = ignored_authors(c.dmarc, m.from().author.domains);
  // dmarc.ignore_mail_from, as OpenDMARC's IgnoreMailFrom: neither its SPF
  // self-validation nor DMARC judges the message (DKIM results stay: OpenDKIM's).
  if (ignored) r.spf.reset();
  if (!ignored) {
    m.dmarc_options.mode = c.dmarc.mode;
    m.dmarc_options.psl = c.dmarc.psl.get();
    auto dmarc_message = dmarc_input(r, m.from().author);
    r.dmarc = co_await dmarc::evaluate(*m.resolver, m.dmarc_options, std::move(dmarc_message));
  }
  count_results(r);
  out.outcome = "role=verify " + summary(r);
  if (ignored) out.outcome += " dmarc_skipped=ignore-mail-from";
  if (!m.note.empty()) out.outcome += " note=" + m.note;
  if (has_temperror(r) && c.milter.on_dns_error == config::FailureAction::tempfail) {
    record_history(*context_, m.envelope.client, r, dmarc::Policy::none);
    out.verdict = Verdict::tempfail;
    out.reply = dns_error_reply();
    co_return out;
  }
  std::vector<mail::HeaderField> below;  // added fields under the A-R, top one first
  if (r.dmarc) {
    const auto& decision = out.decision.emplace(
        decide_dmarc(c.dmarc, *r.dmarc, {m.origin.internal, m.origin.authenticated}));
    r.applied = applied_disposition(decision);
    record_history(*context_, m.envelope.client, r, r.applied);
  }
  report_failure(*context_, m.executor, m.envelope, m.origin, m.headers,
                 m.keep_body ? std::move(m.body) : std::string(), r, out.decision ? &*out.decision : nullptr);
  if (r.dmarc) {
    const auto& decision = *out.decision;
    out.outcome += " dmarc_policy=" + std::string(dmarc::to_string(r.dmarc->policy)) +
                   " dmarc_disposition=" + std::string(dmarc::to_string(r.dmarc->disposition)) +
                   " dmarc_action=" + std::string(to_string(decision.action));
    if (!decision.skipped.empty()) out.outcome += " dmarc_skipped=" + decision.skipped;
    switch (decision.action) {
      case DmarcAction::reject:
        out.verdict = Verdict::reject;
        out.reply = decision.reply;
        co_return out;
      case DmarcAction::quarantine:
        out.verdict = Verdict::quarantine;
        out.quarantine_reason = decision.reason;
        break;
      case DmarcAction::mark:
        below.push_back(field_of(std::string(kQuarantineField) + ": " + decision.reason));
        break;
      case DmarcAction::accept: break;
    }
  }
  if (c.milter.received_spf && r.spf && m.envelope.client.ip) {
    const auto value = spf::received_spf(*r.spf, *m.envelope.client.ip, m.envelope.helo, c.spf.receiver);
    below.insert(below.begin(), field_of("Received-SPF: " + value));
  }
  // " id; ...", CRLF folds
  auto authres = field_of("Authentication-Results:" + authres::format(authentication_results(c.milter.authserv_id, r)));
  if (m.sealer) {
    // RFC 8617 5.1: the ARC set over the message as it leaves (forged A-R gone,
    // ours on top), on the crypto threads like DKIM signing; added above the A-R.
    const auto status = r.arc ? r.arc->status : arc::ChainStatus::none;
    // Arguments are locals: g++ 12 mishandles temporaries inside co_await expressions.
    std::vector<mail::HeaderField> sealed_results{authres};
    auto work = finish_sealing(&*m.sealer, status, std::move(sealed_results));
    const auto set = co_await on_crypto(context_->crypto, std::move(work));
    if (set.sealed()) {
      for (const auto* field : {&set.seal, &set.ams, &set.aar}) out.added.push_back(field_of(*field));
      out.outcome += " arc_seal=yes arc_cv=" + std::string(arc::to_string(status));
    } else {
      out.outcome += " arc_seal=no arc_seal_reason=\"" + set.reason + "\"";
    }
  }
  out.added.push_back(std::move(authres));
  out.added.insert(out.added.end(), below.begin(), below.end());
  co_return out;
}

asio::awaitable<Conclusion> check_stored_message(std::shared_ptr<const Context> context, Envelope envelope,
                                                 std::vector<mail::HeaderField> headers, std::string_view body) {
  const auto executor = co_await asio::this_coro::executor;
  MessageCheck check(std::move(context), executor, std::move(envelope), Origin{});
  for (auto& field : headers) check.header(std::move(field));
  check.end_of_headers();
  if (check.wants_body()) check.body(body);
  co_return co_await check.conclude();
}

}  // namespace domainauth::engine
