// `domainauth check`: a live diagnosis of one domain's mail authentication
// setup through dns::Resolver: SPF (RFC 7208: record selection 4.5, syntax 4.6,
// the 10-lookup and 2-void-lookup limits 4.6.4, the final "all"), DKIM keys
// (RFC 6376 3.6.1, RFC 8301 3.2 key sizes, RFC 8463), DMARC (RFC 7489 6.3,
// RFC 9989 4.7/4.10, external rua authorization RFC 7489 7.1), MX (RFC 5321
// 5.1, null MX RFC 7505), reverse DNS and forward-confirmed reverse DNS of the
// sending address, the HELO name, the DNSSEC status of the answers, the
// receiving-side standards (MTA-STS RFC 8461 and TLS-RPT RFC 8460, DANE RFC
// 7672, BIMI), and the large receivers' sender requirements as a checklist.
// Reads untrusted input: DNS answers, and through a WebFetcher the MTA-STS
// policy, the BIMI logo and (probe) the MX certificates. No other I/O.
#pragma once

#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dkim/crypto.hpp"
#include "dns/resolver.hpp"
#include "net/address.hpp"
#include "setup/report.hpp"
#include "setup/web_fetch.hpp"

namespace domainauth::setup {

// A selector to check, with the private key the configuration signs with (when
// known), so the published key can be compared with it.
struct SelectorToCheck {
  std::string selector;
  std::optional<dkim::PrivateKey> local_key;
  std::string key_file;  // for messages
};

struct CheckOptions {
  std::string domain;
  // The addresses mail leaves from: SPF, PTR and HELO are checked for each (a
  // server sending over IPv4 and IPv6 needs both right; Gmail is stricter on IPv6).
  std::vector<net::IpAddress> ips;
  std::string helo;
  std::vector<SelectorToCheck> selectors;
  bool dnssec_validating = false;  // the resolver has a trust anchor
  bool request_reports = false;    // our signatures carry r=y: the _report._domainkey record is checked
  bool probe = false;              // connect to each MX with TLSA records and match its certificate
};

// Limits of the include-tree walk, so a hostile or looping tree stays cheap.
inline constexpr int kMaxSpfTreeDepth = 10;
inline constexpr int kMaxSpfTreeRecords = 40;
// RFC 8301 3.2: at least 1024 bits; the large receivers ask for 2048.
inline constexpr unsigned kMinRsaBits = 1024;
inline constexpr unsigned kRecommendedRsaBits = 2048;

// Runs every check; resolver, options and web must outlive the awaitable. A DNS
// failure of one lookup becomes an error finding of that part, never an exception.
// web nullptr: the MTA-STS policy and the BIMI logo are not fetched, no probe.
asio::awaitable<Report> check_domain(dns::Resolver& resolver, const CheckOptions& options, WebFetcher* web = nullptr);

// check --postfix: whether the keys options.selectors names for options.domain
// (a domain Postfix takes mail for) are published and match the local keys: one
// finding "postfix.published_keys" with the domain as subject, summing what the
// DKIM part of check_domain() finds.
asio::awaitable<void> check_published_keys(dns::Resolver& resolver, const CheckOptions& options, Report& report);

}  // namespace domainauth::setup
