// The milter's failure report sender (see failure_reporter.hpp). RFC 9991 2
// (each ruf destination, rate limit), 5 (external destinations), RFC 7489
// 7.2.1.1 (size limits), RFC 6651 3 (r=y, the reporting record), RFC 6590
// (redaction).
#include "engine/failure_reporter.hpp"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <algorithm>
#include <random>

#include "dkim/report_record.hpp"
#include "dns/await.hpp"
#include "report/destination.hpp"
#include "report/mime.hpp"
#include "text/ascii.hpp"

namespace domainauth::engine {
namespace {

constexpr std::size_t kRedactionKeyBytes = 32;

std::string random_key() {
  std::random_device random;
  std::string key(kRedactionKeyBytes, '\0');
  for (auto& c : key) c = static_cast<char>(random() & 0xff);
  return key;
}

// RFC 6651 3.2 rp=: true for percent out of 100 failures, by chance.
bool sampled(unsigned percent) {
  if (percent >= 100) return true;
  thread_local std::mt19937 generator{std::random_device{}()};
  return std::uniform_int_distribution<unsigned>(0, 99)(generator) < percent;
}

}  // namespace

std::string address_of(std::string_view mailbox) {
  const auto open = mailbox.rfind('<');
  if (open == std::string_view::npos) return std::string(mailbox);
  const auto close = mailbox.find('>', open);
  return std::string(mailbox.substr(open + 1, close == std::string_view::npos ? close : close - open - 1));
}

FailureReporter::FailureReporter(config::FailureReportSettings settings, std::string default_from,
                                 std::string host_name, const config::DmarcSettings& dmarc, Submit submit)
    : settings_(std::move(settings)),
      from_(settings_.sent_by.empty() ? std::move(default_from) : settings_.sent_by),
      envelope_(address_of(from_)),
      dkim_from_(settings_.dkim_sent_by.empty() ? from_ : settings_.dkim_sent_by),
      dkim_envelope_(address_of(dkim_from_)),
      host_name_(std::move(host_name)),
      psl_(dmarc.psl),
      dmarc_options_{dmarc.mode, psl_.get(), {}},
      submit_(std::move(submit)),
      limiter_(settings_.rate_limit),
      redactor_(random_key()),
      worker_("failure_report",
              {.limit = settings_.queue_limit,
               .batch = 1,
               .retry = std::chrono::milliseconds{0},
               .limit_key = "failure_reports.queue_limit",
               .drain = settings_.shutdown_timeout,
               .drain_key = "failure_reports.shutdown_timeout"},
              [this](std::vector<OutgoingReport>& batch) {
                for (auto& report : batch) send(report);
                return true;  // a report the relay refused is logged, not retried
              }) {}

std::size_t FailureReporter::consider(const asio::any_io_executor& executor, std::shared_ptr<dns::Resolver> resolver,
                                      std::shared_ptr<const report::ReportedMessage> message, std::int64_t arrival) {
  std::size_t started = 0;
  for (const auto& trigger : report::failure_triggers(*message, !settings_.bcc.empty())) {
    if (!within_rate(message->outcome.author_domain, arrival)) continue;
    asio::co_spawn(executor, deliver(shared_from_this(), resolver, message, trigger, arrival),
                   asio::detached);
    ++started;
  }
  return started;
}

std::size_t FailureReporter::consider_signatures(const asio::any_io_executor& executor,
                                                 std::shared_ptr<dns::Resolver> resolver,
                                                 std::shared_ptr<const report::ReportedMessage> message,
                                                 std::int64_t arrival) {
  std::size_t started = 0;
  for (const auto& trigger : report::signer_triggers(*message)) {
    if (!within_rate(text::to_lower(message->dkim[trigger.signature].domain), arrival)) continue;
    asio::co_spawn(executor, deliver_to_signer(shared_from_this(), resolver, message, trigger, arrival),
                   asio::detached);
    ++started;
  }
  return started;
}

bool FailureReporter::within_rate(const std::string& domain, std::int64_t arrival) {
  if (limiter_.allow(domain, arrival)) return true;
  if (rate_limited_++ % queue::kDropLogEvery == 0) {
    spdlog::info("event=failure_report_rate_limited domain={} limited={} per_hour={}", domain,
                 rate_limited_.load(), settings_.rate_limit);
  }
  return false;
}

// Verifies each ruf destination, writes the report for those left and queues it.
asio::awaitable<void> FailureReporter::deliver(std::shared_ptr<FailureReporter> self,
                                               std::shared_ptr<dns::Resolver> resolver,
                                               std::shared_ptr<const report::ReportedMessage> message,
                                               report::Trigger trigger, std::int64_t arrival) {
  const auto& outcome = message->outcome;
  const auto selection = report::mail_destinations(outcome.record->ruf);
  std::vector<report::MailDestination> destinations;
  for (const auto& destination : selection.mail) {
    auto work = report::verify_destination(*resolver, self->dmarc_options_, outcome.policy_domain, destination,
                                           report::ReportKind::failure);
    const auto verified = co_await std::move(work);
    if (verified.result != report::Authorization::authorized) {
      spdlog::info("event=failure_report_destination_refused domain={} uri=\"{}\" result={} reason=\"{}\"",
                   outcome.policy_domain, destination.uri, report::to_string(verified.result), verified.reason);
      continue;
    }
    for (const auto& d : verified.destinations) {
      if (std::find(destinations.begin(), destinations.end(), d) == destinations.end()) destinations.push_back(d);
    }
  }
  // RFC 7489 7.2.1.1: a destination whose size limit the report exceeds is left out.
  std::vector<std::string> to;
  for (const auto& d : destinations) to.push_back(d.mailbox);
  std::string text = self->write(*message, trigger, self->from_, to, arrival);
  std::erase_if(destinations, [&](const auto& d) { return !report::within_size_limit(d, text.size()); });
  if (destinations.size() != to.size()) {
    to.clear();
    for (const auto& d : destinations) to.push_back(d.mailbox);
    text = self->write(*message, trigger, self->from_, to, arrival);
  }
  // OpenDMARC's FailureReportsBcc gets its copy even when no ruf destination
  // does (or the domain asked for none): the copies are then the addressees.
  if (to.empty() && !self->settings_.bcc.empty()) {
    OutgoingReport copy{self->envelope_, self->settings_.bcc,
                        self->write(*message, trigger, self->from_, self->settings_.bcc, arrival), outcome.author_domain,
                        {}};
    self->queue(std::move(copy));
    co_return;
  }
  if (to.empty()) {
    ++self->unauthorized_;
    spdlog::info("event=failure_report_not_sent domain={} reason=\"no authorized ruf destination within its size "
                 "limit\"",
                 outcome.policy_domain);
    co_return;
  }
  OutgoingReport report{self->envelope_, to, std::move(text), outcome.author_domain, {}};
  report.recipients.insert(report.recipients.end(), self->settings_.bcc.begin(), self->settings_.bcc.end());
  self->queue(std::move(report));
}

// RFC 6651 3: the reporting record of d= must ask for this failure (rr=), the
// share of rp= decides by chance, and the report goes to <ra>@<d>.
asio::awaitable<void> FailureReporter::deliver_to_signer(std::shared_ptr<FailureReporter> self,
                                                         std::shared_ptr<dns::Resolver> resolver,
                                                         std::shared_ptr<const report::ReportedMessage> message,
                                                         report::Trigger trigger, std::int64_t arrival) {
  const auto& signature = message->dkim[trigger.signature];
  std::string name = std::string(dkim::kReportRecordPrefix) + signature.domain;
  const dns::Answer answer = co_await dns::lookup(*resolver, name, dns::RecordType::txt);
  const auto found = dkim::report_record_from_answer(answer);
  std::string why;
  if (!found.record) {
    why = found.error;
  } else if (!found.record->requests(signature.failure)) {
    why = "rr= does not ask for failures of type " + std::string(dkim::rr_token(signature.failure));
  } else if (!sampled(found.record->percent)) {
    why = "not sampled (rp=" + std::to_string(found.record->percent) + ")";
  }
  if (!why.empty()) {
    ++self->not_requested_;
    spdlog::info("event=dkim_report_not_sent domain={} selector={} reason=\"{}\"", signature.domain,
                 signature.selector, why);
    co_return;
  }
  std::vector<std::string> to{found.record->address + "@" + signature.domain};
  OutgoingReport report{self->dkim_envelope_, to, self->write(*message, trigger, self->dkim_from_, to, arrival),
                        signature.domain, {}};
  report.recipients.insert(report.recipients.end(), self->settings_.dkim_bcc.begin(), self->settings_.dkim_bcc.end());
  self->queue(std::move(report));
}

std::string FailureReporter::write(const report::ReportedMessage& message, const report::Trigger& trigger,
                                   const std::string& from, const std::vector<std::string>& to,
                                   std::int64_t arrival) const {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  report::Composition c{from,
                        to,
                        report::date_value(now.count()),
                        report::date_value(arrival),
                        report::message_id(host_name_),
                        report::boundary(),
                        "domainauth",
                        settings_.redact ? &redactor_ : nullptr};
  return report::failure_report(message, trigger, c);
}

void FailureReporter::queue(OutgoingReport report) {
  if (worker_.push(std::move(report))) ++queued_;
}

void FailureReporter::send(OutgoingReport& report) {
  report.deadline = [this] { return worker_.deadline(); };
  if (auto error = submit_(report)) {
    ++failed_;
    spdlog::warn("event=failure_report_failed domain={} recipients={} error=\"{}\"", report.reported_domain,
                 report.recipients.size(), *error);
    return;
  }
  ++sent_;
  spdlog::info("event=failure_report_sent domain={} recipients={} bytes={}", report.reported_domain,
               report.recipients.size(), report.message.size());
}

FailureReportStats FailureReporter::stats() const {
  const auto worker = worker_.stats();
  return {queued_.load(), sent_.load(),           failed_.load(), rate_limited_.load(), unauthorized_.load(),
          not_requested_.load(), worker.dropped, worker.queued};
}

}  // namespace domainauth::engine
