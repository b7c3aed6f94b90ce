// Internal to setup/: the parts of check_domain(), one file each, sharing the
// DNSSEC tally of the answers they saw.
#pragma once

#include <asio/awaitable.hpp>
#include <map>
#include <optional>
#include <string>

#include "dmarc/dmarc.hpp"
#include "dns/await.hpp"
#include "setup/check.hpp"
#include "setup/web_fetch.hpp"

namespace domainauth::setup::detail {

struct Context {
  dns::Resolver& resolver;
  const CheckOptions& options;
  Report& report;
  WebFetcher* web = nullptr;  // nullptr: nothing fetched over HTTPS or SMTP
  int secure = 0, insecure = 0, bogus = 0;
  bool dns_down = false;  // the domain's own TXT lookup failed transiently
  bool spf_ok = false;    // a valid SPF record that authorizes the address (or no address given)
  bool dkim_ok = false;   // at least one selector with a valid, usable RSA key
  bool dkim_ed25519_ok = false;  // ... with an Ed25519 key, which Gmail and Microsoft do not verify yet
  bool dmarc_ok = false;  // a DMARC record applies to the domain
  std::optional<dmarc::Record> dmarc{};  // the record that applies (BIMI's precondition reads it)
  bool dmarc_own = false;              // ... published at the domain itself, not its Organizational Domain
  std::vector<std::string> mx_hosts{};  // the domain's MX hosts (null MX excluded)
  dns::Dnssec mx_dnssec = dns::Dnssec::insecure;  // of the MX answer (DANE needs it secure)
  std::map<std::string, dns::Dnssec> mx_address_dnssec{};  // of each MX host's A and AAAA answers together
  bool dane_published = false;         // some MX has TLSA records (TLS-RPT is then wanted)

  // One lookup, its DNSSEC status tallied.
  asio::awaitable<dns::Answer> lookup(std::string name, dns::RecordType type);
};

asio::awaitable<void> check_spf(Context& context);
asio::awaitable<void> check_dkim(Context& context);
asio::awaitable<void> check_dmarc(Context& context);
asio::awaitable<void> check_hosts(Context& context);  // MX, PTR, FCrDNS, HELO
asio::awaitable<void> check_dane(Context& context);     // after check_hosts (MX set)
asio::awaitable<void> check_mta_sts(Context& context);  // MTA-STS and TLS-RPT; after check_dane
asio::awaitable<void> check_bimi(Context& context);     // after check_dmarc (its precondition)

// The A and AAAA addresses of name; with dnssec, how both answers were
// validated together (secure only when both are, bogus when either is).
asio::awaitable<std::vector<net::IpAddress>> addresses_of(Context& context, std::string name,
                                                          dns::Dnssec* dnssec = nullptr);

// The one TXT record of answer that is_record() accepts (records of other kinds
// may share the name). An error finding under id when the lookup failed or there
// are several (senders then ignore them all); absent when there is none.
struct OneRecord {
  std::optional<std::string> text;
  bool absent = false;
};
[[nodiscard]] OneRecord one_record(Context& context, const dns::Answer& answer, const std::string& id,
                                   const std::string& name, bool (*is_record)(std::string_view));

// "a, b and c".
[[nodiscard]] std::string join_list(const std::vector<std::string>& items);

}  // namespace domainauth::setup::detail
