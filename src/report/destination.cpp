// mailto: report destinations, their size limits (RFC 7489 6.2, 7.2.1.1) and
// the external destination verification (RFC 9990 4, RFC 7489 7.1). Reads
// untrusted DNS answers and URIs from DMARC records.
#include "report/destination.hpp"

#include <algorithm>

#include "dmarc/discovery.hpp"
#include "dmarc/text.hpp"
#include "dns/await.hpp"

namespace domainauth::report {
namespace {

// The record at the authorization name: authorized, with its override when it has one.
Verification judge(const dns::Answer& answer, const std::string& name, const MailDestination& destination,
                   ReportKind kind) {
  Verification out;
  if (answer.transient()) {
    out.result = Authorization::temperror;
    out.reason = name + ": " + std::string(dns::to_string(answer.status));
    return out;
  }
  // Steps 6-7: only records starting with v=DMARC1 count.
  std::optional<dmarc::Record> record;
  for (const auto& text : answer.txt) {
    auto parsed = dmarc::parse_record(text);
    if (parsed.record && !record) record = std::move(parsed.record);
  }
  if (!record) {
    out.reason = name + ": no v=DMARC1 record (" +
                 (answer.found() ? std::string("other TXT only") : std::string(dns::to_string(answer.status))) + ")";
    return out;
  }
  // Step 9: a rua=/ruf= there replaces the URI, on the same destination host only.
  const auto& uris = kind == ReportKind::aggregate ? record->rua : record->ruf;
  const auto overrides = mail_destinations(uris).mail;
  for (const auto& o : overrides) {
    if (o.host != destination.host) {
      out.reason = name + ": overriding URI " + o.uri + " names another host; neither is used";
      return out;
    }
  }
  out.result = Authorization::authorized;
  out.destinations = overrides.empty() ? std::vector{destination} : overrides;
  out.reason = name + ": v=DMARC1" + (overrides.empty() ? "" : std::string(" with an overriding URI"));
  return out;
}

}  // namespace

UriSelection mail_destinations(std::span<const dmarc::ReportUri> uris) {
  UriSelection out;
  for (const auto& uri : uris) {
    const auto at = uri.mailbox.rfind('@');
    if (uri.scheme != "mailto") {
      out.skipped.push_back(uri.uri + ": only mailto: URIs are sent to");
    } else if (at == std::string::npos || at == 0 || !dmarc::is_domain_name(uri.mailbox.substr(at + 1))) {
      out.skipped.push_back(uri.uri + ": not a mailbox with a domain");
    } else {
      MailDestination d{uri.uri, uri.mailbox, dmarc::normalize_domain(uri.mailbox.substr(at + 1)), uri.max_size};
      const bool seen = std::any_of(out.mail.begin(), out.mail.end(),
                                    [&](const MailDestination& m) { return m.mailbox == d.mailbox; });
      if (!seen) out.mail.push_back(std::move(d));
    }
  }
  return out;
}

bool within_size_limit(const MailDestination& destination, std::size_t message_size) {
  return !destination.max_size || message_size <= *destination.max_size;
}

std::string_view to_string(Authorization authorization) {
  switch (authorization) {
    case Authorization::authorized: return "authorized";
    case Authorization::not_authorized: return "not_authorized";
    case Authorization::temperror: return "temperror";
  }
  return "not_authorized";
}

asio::awaitable<Verification> verify_destination(dns::Resolver& resolver, const dmarc::Options& options,
                                                 std::string policy_domain, MailDestination destination,
                                                 ReportKind kind) {
  Verification out;
  dmarc::detail::RecordCache cache(resolver);
  dmarc::detail::OrgDomains orgs(cache, options);
  std::string why;
  const std::string policy = dmarc::normalize_domain(policy_domain);
  const auto policy_org = co_await orgs.of(policy, why);
  std::optional<std::string> destination_org;
  if (policy_org) destination_org = co_await orgs.of(destination.host, why);
  if (!policy_org || !destination_org) {
    out.result = Authorization::temperror;
    out.reason = "Organizational Domain: " + why;
    co_return out;
  }
  if (*policy_org == *destination_org) {
    out.result = Authorization::authorized;
    out.reason = "same Organizational Domain " + *policy_org;
    out.destinations.push_back(std::move(destination));
    co_return out;
  }
  // Steps 1-4: <policy-domain>._report._dmarc.<destination host>, within DNS limits.
  std::string name = policy + "._report._dmarc." + destination.host;
  if (!dmarc::is_domain_name(name)) {
    out.reason = name + ": longer than a domain name can be";
    co_return out;
  }
  const dns::Answer answer = co_await dns::lookup(resolver, name, dns::RecordType::txt);
  co_return judge(answer, name, destination, kind);
}

}  // namespace domainauth::report
