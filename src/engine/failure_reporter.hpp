// The milter's failure reports: DMARC ones (RFC 9991) for each DMARC-evaluated
// message whose record asks for reports (ruf=, fo=; report/failure.hpp), and
// DKIM ones (RFC 6651) for each failed signature with r=y whose signing domain
// publishes a reporting record asking for that failure (_report._domainkey.<d>:
// ra=, rp=, rr=; dkim/report_record.hpp). Either is rate-limited per reported
// domain (the From domain, d=; one report/rate_limit.hpp table for both),
// written, its destinations found (DMARC: the ruf= destinations verified, RFC
// 9991 5 / RFC 9990 4: one outside the policy's Organizational Domain must be
// authorized in DNS, report/destination.hpp; DKIM: <ra>@<d>, within d= by
// construction) and handed to a bounded queue whose worker thread submits them
// to [report] relay (report/submit.hpp). Nothing here ever delays
// the mail: consider() decides and returns at once, verification runs detached
// on the event loop, submission on the worker; a full queue drops the report
// with a counter and a log line. Reads untrusted input: the reported message
// and DNS answers (through the report/ functions).
#pragma once

#include <asio/any_io_executor.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "queue/bounded_worker.hpp"
#include "report/failure.hpp"
#include "report/submit.hpp"
#include "report/rate_limit.hpp"

namespace domainauth::engine {

// One report ready for the relay.
struct OutgoingReport {
  std::string mail_from;                // envelope sender of the report
  std::vector<std::string> recipients;  // ruf mailboxes + failure_reports.bcc
  std::string message;
  std::string reported_domain;          // for the log
  report::Deadline deadline;            // when its submission must be over (set by the worker)
};

struct FailureReportStats {
  std::uint64_t queued = 0;        // handed to the worker
  std::uint64_t sent = 0;          // accepted by the relay
  std::uint64_t failed = 0;        // refused by the relay or not reachable
  std::uint64_t rate_limited = 0;  // over failure_reports.rate_limit
  std::uint64_t unauthorized = 0;  // no ruf destination left after verification / size limits
  std::uint64_t not_requested = 0; // DKIM: no usable reporting record, rr= or rp= left the failure out
  std::uint64_t dropped = 0;       // queue full
  std::size_t waiting = 0;         // in the queue now (and being submitted)
};

class FailureReporter : public std::enable_shared_from_this<FailureReporter> {
 public:
  // Submits one message (by its deadline); an error text when the relay did not take it.
  using Submit = std::function<std::optional<std::string>(const OutgoingReport&)>;

  // default_from: From when failure_reports.sent_by is empty; host_name: for
  // the Message-ID; dmarc: how Organizational Domains are found when verifying
  // destinations (the reporter keeps the public suffix list alive).
  FailureReporter(config::FailureReportSettings settings, std::string default_from, std::string host_name,
                  const config::DmarcSettings& dmarc, Submit submit);

  // On the event loop, after the milter decided: the reports this message
  // calls for, within the rate limit, are started (verification detached on
  // executor with resolver, then queued). Returns how many were started.
  std::size_t consider(const asio::any_io_executor& executor, std::shared_ptr<dns::Resolver> resolver,
                       std::shared_ptr<const report::ReportedMessage> message, std::int64_t arrival);
  // The same for the DKIM failure reports (failure_reports.dkim) the message's
  // signatures ask for (r=y): each within the rate limit of its d= is started
  // (reporting record lookup detached on executor, then queued).
  std::size_t consider_signatures(const asio::any_io_executor& executor, std::shared_ptr<dns::Resolver> resolver,
                                  std::shared_ptr<const report::ReportedMessage> message, std::int64_t arrival);

  [[nodiscard]] FailureReportStats stats() const;
  // Waits until the queue is empty (tests); true when it is.
  bool flush(std::chrono::milliseconds timeout) { return worker_.flush(timeout); }
  // At shutdown: submits what is queued for at most failure_reports.shutdown_timeout
  // (the submission in progress is cut at that deadline), drops and logs the rest,
  // then takes no more reports. Blocks until done.
  void stop() { worker_.stop(); }

  [[nodiscard]] const config::FailureReportSettings& settings() const { return settings_; }

 private:
  [[nodiscard]] bool within_rate(const std::string& domain, std::int64_t arrival);
  void queue(OutgoingReport report);
  void send(OutgoingReport& report);
  [[nodiscard]] std::string write(const report::ReportedMessage& message, const report::Trigger& trigger,
                                  const std::string& from, const std::vector<std::string>& to,
                                  std::int64_t arrival) const;
  static asio::awaitable<void> deliver(std::shared_ptr<FailureReporter> self, std::shared_ptr<dns::Resolver> resolver,
                                       std::shared_ptr<const report::ReportedMessage> message,
                                       report::Trigger trigger, std::int64_t arrival);
  static asio::awaitable<void> deliver_to_signer(std::shared_ptr<FailureReporter> self,
                                                 std::shared_ptr<dns::Resolver> resolver,
                                                 std::shared_ptr<const report::ReportedMessage> message,
                                                 report::Trigger trigger, std::int64_t arrival);

  config::FailureReportSettings settings_;
  std::string from_;       // From: field value
  std::string envelope_;   // its addr-spec: MAIL FROM of reports
  std::string dkim_from_;      // From: of DKIM failure reports (failure_reports.dkim_sent_by, else from_)
  std::string dkim_envelope_;  // its addr-spec
  std::string host_name_;
  std::shared_ptr<const dmarc::PublicSuffixList> psl_;
  dmarc::Options dmarc_options_;  // psl points into psl_
  Submit submit_;
  report::RateLimiter limiter_;
  report::Redactor redactor_;
  std::atomic<std::uint64_t> queued_{0}, sent_{0}, failed_{0}, rate_limited_{0}, unauthorized_{0}, not_requested_{0};
  queue::BoundedWorker<OutgoingReport> worker_;  // last: its thread uses the members above
};

// The addr-spec of "Name <addr>" or "addr".
[[nodiscard]] std::string address_of(std::string_view mailbox);

}  // namespace domainauth::engine
