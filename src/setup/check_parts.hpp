// Internal to setup/: the parts of check_domain(), one file each, sharing the
// DNSSEC tally of the answers they saw.
#pragma once

#include <asio/awaitable.hpp>
#include <string>

#include "dns/await.hpp"
#include "setup/check.hpp"

namespace domainauth::setup::detail {

struct Context {
  dns::Resolver& resolver;
  const CheckOptions& options;
  Report& report;
  int secure = 0, insecure = 0, bogus = 0;
  bool dns_down = false;  // the domain's own TXT lookup failed transiently
  bool spf_ok = false;    // a valid SPF record that authorizes the address (or no address given)
  bool dkim_ok = false;   // at least one selector with a valid, usable RSA key
  bool dkim_ed25519_ok = false;  // ... with an Ed25519 key, which Gmail and Microsoft do not verify yet
  bool dmarc_ok = false;  // a DMARC record applies to the domain

  // One lookup, its DNSSEC status tallied.
  asio::awaitable<dns::Answer> lookup(std::string name, dns::RecordType type);
};

asio::awaitable<void> check_spf(Context& context);
asio::awaitable<void> check_dkim(Context& context);
asio::awaitable<void> check_dmarc(Context& context);
asio::awaitable<void> check_hosts(Context& context);  // MX, PTR, FCrDNS, HELO

// "a, b and c".
[[nodiscard]] std::string join_list(const std::vector<std::string>& items);

}  // namespace domainauth::setup::detail
