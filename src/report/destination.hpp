// Where a report may be sent: the mailto: URIs of rua= / ruf= (RFC 7489 6.2,
// RFC 9989 4.8: other schemes are not sent to) with their "!size" limits
// (RFC 7489 6.2 / 7.2.1.1: a larger report is not sent to that URI), and the
// verification of external destinations (RFC 9990 section 4, RFC 7489 7.1):
// a URI whose host has another Organizational Domain than the policy domain
// is used only when <policy-domain>._report._dmarc.<host> holds a v=DMARC1
// record, whose rua=/ruf= may replace it on the same host. Reads untrusted
// DNS answers and URIs from DMARC records.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dmarc/dmarc.hpp"
#include "dns/resolver.hpp"

namespace domainauth::report {

// One mailto: destination.
struct MailDestination {
  std::string uri;      // as published, without the size suffix
  std::string mailbox;  // the addr-spec
  std::string host;     // the mailbox's domain, lower case
  std::optional<std::uint64_t> max_size;  // bytes; nullopt: no limit
  friend bool operator==(const MailDestination&, const MailDestination&) = default;
};

struct UriSelection {
  std::vector<MailDestination> mail;
  std::vector<std::string> skipped;  // "uri: why" for each URI not usable for mail
};

// The mailto: URIs among uris (in order, duplicates once).
[[nodiscard]] UriSelection mail_destinations(std::span<const dmarc::ReportUri> uris);

// RFC 7489 7.2.1.1: a message of message_size bytes (compressed and encoded,
// as sent) may go to destination.
[[nodiscard]] bool within_size_limit(const MailDestination& destination, std::size_t message_size);

enum class Authorization : std::uint8_t { authorized, not_authorized, temperror };
[[nodiscard]] std::string_view to_string(Authorization authorization);

// Which tag of an authorization record may override the destination.
enum class ReportKind : std::uint8_t { aggregate, failure };  // rua= / ruf=

struct Verification {
  Authorization result = Authorization::not_authorized;
  std::string reason;
  std::vector<MailDestination> destinations;  // authorized: where to send (the URI or its same-host override)
};

// RFC 9990 section 4 for destination of a record found at policy_domain.
// Organizational Domains follow options (tree walk or public suffix list).
// resolver and options must outlive the awaitable.
asio::awaitable<Verification> verify_destination(dns::Resolver& resolver, const dmarc::Options& options,
                                                 std::string policy_domain, MailDestination destination,
                                                 ReportKind kind);

}  // namespace domainauth::report
