// Aggregate report destinations (RFC 9990 4) and their sending, once per
// destination and period (RFC 9990 3.5). Reads untrusted DNS answers.
#include "report/send.hpp"

#include <algorithm>
#include <ctime>

#include "dmarc/discovery.hpp"

namespace domainauth::report {

asio::awaitable<Destinations> aggregate_destinations(dns::Resolver& resolver, const dmarc::Options& options,
                                                     std::string policy_domain) {
  Destinations out;
  dmarc::detail::RecordCache cache(resolver);
  const dmarc::detail::Lookup* lookup = co_await cache.get(policy_domain);
  using Kind = dmarc::detail::Lookup::Kind;
  if (lookup->kind == Kind::temperror) {
    out.temperror = true;
    out.reason = "_dmarc." + policy_domain + ": " + lookup->reason;
    co_return out;
  }
  if (lookup->kind != Kind::record) {
    out.reason = "_dmarc." + policy_domain + ": no DMARC record now" +
                 (lookup->reason.empty() ? "" : " (" + lookup->reason + ")");
    co_return out;
  }
  UriSelection selection = mail_destinations(lookup->record.rua);
  out.notes = std::move(selection.skipped);
  if (selection.mail.empty() && out.notes.empty()) out.reason = "_dmarc." + policy_domain + ": no rua=";
  for (auto& destination : selection.mail) {
    const std::string uri = destination.uri;
    auto check = verify_destination(resolver, options, policy_domain, std::move(destination), ReportKind::aggregate);
    Verification v = co_await std::move(check);
    if (v.result == Authorization::temperror) {
      out.temperror = true;
      out.reason = uri + ": " + v.reason;
    }
    if (v.result != Authorization::authorized) {
      out.notes.push_back(uri + ": " + std::string(to_string(v.result)) + ": " + v.reason);
    }
    for (auto& d : v.destinations) {
      const bool seen = std::any_of(out.authorized.begin(), out.authorized.end(),
                                    [&](const MailDestination& a) { return a.mailbox == d.mailbox; });
      if (!seen) out.authorized.push_back(std::move(d));  // an override may name a mailbox twice
    }
  }
  co_return out;
}

namespace {

// send_aggregate under the lock: the destinations not yet recorded, the mail, the records.
void send_pending(store::Database& db, const Relay& relay, AggregateMail& mail,
                  const std::vector<MailDestination>& destinations, bool force, SendOutcome& out) {
  std::vector<const MailDestination*> pending;
  for (const auto& d : destinations) {
    bool sent = false;
    if (auto error = store::was_sent(db, {mail.policy_domain, mail.begin, d.mailbox}, sent)) {
      ++out.failed;
      out.notes.push_back(d.mailbox + ": history: " + *error);
    } else if (sent && !force) {
      ++out.already;
    } else {
      pending.push_back(&d);
    }
  }
  // The message names every pending mailbox; leaving one out only makes it smaller.
  std::string message;
  for (bool fits = false; !fits && !pending.empty();) {
    mail.to.clear();
    for (const auto* d : pending) mail.to.push_back(d->mailbox);
    message = aggregate_message(mail);
    fits = true;
    std::erase_if(pending, [&](const MailDestination* d) {
      if (within_size_limit(*d, message.size())) return false;
      out.notes.push_back(d->uri + ": the report (" + std::to_string(message.size()) + " bytes) exceeds its limit of " +
                          std::to_string(*d->max_size) + " bytes; not sent");
      fits = false;
      return true;
    });
  }
  for (const auto* d : pending) {
    if (auto why = submit(relay, mail.from, {d->mailbox}, message)) {
      ++out.failed;
      out.notes.push_back(d->mailbox + ": " + *why);
    } else if (auto error = store::mark_sent(db, {mail.policy_domain, mail.begin, d->mailbox}, mail.report_id,
                                             std::time(nullptr))) {
      ++out.sent;  // sent, but a later run may send it again
      out.notes.push_back(d->mailbox + ": sent, but not recorded: " + *error);
    } else {
      ++out.sent;
    }
  }
}

}  // namespace

SendOutcome send_aggregate(store::Database& db, const Relay& relay, AggregateMail mail,
                           const std::vector<MailDestination>& destinations, bool force) {
  SendOutcome out;
  const auto lock = "report " + mail.policy_domain + " " + std::to_string(mail.begin);
  const auto error = store::locked_transaction(db, lock, [&]() -> std::optional<std::string> {
    send_pending(db, relay, mail, destinations, force, out);
    return std::nullopt;
  });
  if (error && out.sent == 0) {
    out.failed = static_cast<int>(destinations.size()) - out.already;
    out.notes.push_back("history: " + *error);
  } else if (error) {
    out.notes.push_back("history: " + *error + "; what was sent may be sent again by a later run");
  }
  return out;
}

}  // namespace domainauth::report
