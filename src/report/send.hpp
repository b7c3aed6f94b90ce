// Sending one aggregate report (RFC 9990 3.5, RFC 7489 7.2.1.1): the rua=
// destinations of the policy domain's current DMARC record, verified (RFC
// 9990 4), then the mail submitted to each destination not yet sent for the
// period (the sent_reports table of the store makes a second run of the same
// period send nothing; a failed destination is tried again on the next run).
// Reads untrusted DNS answers (the DMARC record, authorization records).
#pragma once

#include <asio/awaitable.hpp>
#include <string>
#include <vector>

#include "report/aggregate_mail.hpp"
#include "report/destination.hpp"
#include "report/submit.hpp"
#include "store/database.hpp"

namespace domainauth::report {

struct Destinations {
  std::vector<MailDestination> authorized;
  std::vector<std::string> notes;  // why a URI is not used (scheme, authorization)
  bool temperror = false;          // a DNS failure: the period is to be tried again
  std::string reason;              // temperror, or why there is no usable rua=
};

// The verified aggregate destinations of the record at _dmarc.<policy_domain>.
// resolver and options must outlive the awaitable.
asio::awaitable<Destinations> aggregate_destinations(dns::Resolver& resolver, const dmarc::Options& options,
                                                     std::string policy_domain);

struct SendOutcome {
  int sent = 0;                    // destinations that accepted now
  int already = 0;                 // sent on an earlier run (not resent)
  int failed = 0;                  // refused or not reached: tried again next run
  std::vector<std::string> notes;  // one line per destination not sent, and why
};

// Submits mail (From, Subject, attachment... everything but To) to every
// destination not yet recorded as sent for (policy domain, period begin), or to
// all when force; records each one that the relay accepted. A destination
// whose !size limit the message exceeds is left out (RFC 7489 7.2.1.1).
// All of it in one store::locked_transaction named after (policy domain,
// period begin): of two runs at once, on one host or several sharing a
// PostgreSQL history, one sends and the other then finds the records.
// Blocking (SMTP): not for the event loop.
[[nodiscard]] SendOutcome send_aggregate(store::Database& db, const Relay& relay, AggregateMail mail,
                                         const std::vector<MailDestination>& destinations, bool force);

}  // namespace domainauth::report
