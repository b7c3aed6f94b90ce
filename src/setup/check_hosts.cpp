// The host part of check: the domain's MX (RFC 5321 5.1; null MX RFC 7505),
// the PTR of the sending address and whether a PTR name resolves back to it
// (forward-confirmed reverse DNS, which Gmail requires: 550 5.7.25), and the
// HELO name (resolves to the address, agrees with the PTR name).
// Reads untrusted input: MX, PTR, A and AAAA answers.
#include <algorithm>

#include "setup/check_parts.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup::detail {

asio::awaitable<std::vector<net::IpAddress>> addresses_of(Context& c, std::string name, dns::Dnssec* dnssec) {
  dns::Answer a = co_await c.lookup(name, dns::RecordType::a);
  dns::Answer aaaa = co_await c.lookup(name, dns::RecordType::aaaa);
  if (dnssec != nullptr) {
    *dnssec = a.dnssec == dns::Dnssec::bogus || aaaa.dnssec == dns::Dnssec::bogus ? dns::Dnssec::bogus
              : a.dnssec == dns::Dnssec::secure && aaaa.dnssec == dns::Dnssec::secure ? dns::Dnssec::secure
                                                                                     : dns::Dnssec::insecure;
  }
  std::vector<net::IpAddress> out = a.addresses;
  out.insert(out.end(), aaaa.addresses.begin(), aaaa.addresses.end());
  co_return out;
}

namespace {

bool contains(const std::vector<net::IpAddress>& list, const net::IpAddress& ip) {
  return std::find(list.begin(), list.end(), ip) != list.end();
}

asio::awaitable<void> check_mx(Context& c) {
  const std::string& domain = c.options.domain;
  dns::Answer answer = co_await c.lookup(domain, dns::RecordType::mx);
  if (answer.transient()) {
    c.report.add("mx.present", Severity::error, "the MX lookup of " + domain + " failed",
                 "Check that the domain's name servers answer.");
    co_return;
  }
  if (!answer.found()) {
    c.report.add("mx.present", Severity::warning,
                 "no MX record: bounces, replies and DMARC reports to " + domain + " go to its A record, if any",
                 "Publish \"" + domain + ". IN MX 10 mail." + domain + ".\" (your receiving server).");
    co_return;
  }
  if (answer.mx.size() == 1 && answer.mx.front().exchange.empty()) {
    c.report.add("mx.present", Severity::info, "null MX (RFC 7505): the domain receives no mail",
                 "Publish a real MX if bounces and DMARC reports should reach you.");
    co_return;
  }
  c.report.add("mx.present", Severity::ok, std::to_string(answer.mx.size()) + " MX record(s)");
  c.mx_dnssec = answer.dnssec;
  for (const auto& mx : answer.mx) {
    if (!mx.exchange.empty()) c.mx_hosts.push_back(mx.exchange);
    dns::Dnssec address_dnssec = dns::Dnssec::insecure;
    std::vector<net::IpAddress> addresses = co_await addresses_of(c, mx.exchange, &address_dnssec);
    c.mx_address_dnssec[mx.exchange] = address_dnssec;
    if (addresses.empty()) {
      c.report.add("mx.resolves", Severity::error, "MX host " + mx.exchange + " has no A or AAAA record",
                   "Publish an address for " + mx.exchange + " or remove it from the MX set.", mx.exchange);
    } else {
      c.report.add("mx.resolves", Severity::ok, "MX host " + mx.exchange + " resolves", {}, mx.exchange);
    }
  }
}

// Returns the PTR names of ip that resolve back to it.
asio::awaitable<std::vector<std::string>> check_ptr(Context& c, const net::IpAddress& ip) {
  const std::string addr = ip.to_string();
  const std::string reverse = ip.reverse_name();
  dns::Answer answer = co_await c.lookup(reverse, dns::RecordType::ptr);
  std::vector<std::string> confirmed;
  if (!answer.found() || answer.names.empty()) {
    c.report.add("ptr.present", Severity::error, addr + " has no PTR record (Gmail refuses with 550 5.7.25)",
                 "Ask whoever runs the address (your hosting provider) to set its PTR to your mail server's name.",
                 addr);
    co_return confirmed;
  }
  c.report.add("ptr.present", Severity::ok, addr + " has PTR " + join_list(answer.names), {}, addr);
  for (const auto& name : answer.names) {
    std::vector<net::IpAddress> forward = co_await addresses_of(c, name);
    if (contains(forward, ip)) confirmed.push_back(name);
  }
  if (confirmed.empty()) {
    c.report.add("ptr.fcrdns", Severity::error,
                 "no PTR name of " + addr + " resolves back to it (no forward-confirmed reverse DNS)",
                 "Publish an A/AAAA record " + answer.names.front() + " -> " + addr + ".", addr);
  } else {
    c.report.add("ptr.fcrdns", Severity::ok, confirmed.front() + " resolves back to " + addr, {}, addr);
  }
  co_return confirmed;
}

asio::awaitable<void> check_helo(Context& c, const net::IpAddress& ip, const std::vector<std::string>& ptr_names) {
  const std::string& helo = c.options.helo;
  if (helo.empty()) {
    c.report.add("helo.given", Severity::info, "no HELO name given, so it was not checked",
                 "Run check with --helo NAME (Postfix: the smtp_helo_name / myhostname of the sending server).");
    co_return;
  }
  std::vector<net::IpAddress> forward = co_await addresses_of(c, helo);
  if (contains(forward, ip)) {
    c.report.add("helo.resolves", Severity::ok, helo + " resolves to " + ip.to_string(), {}, helo);
  } else {
    c.report.add("helo.resolves", Severity::warning, helo + " does not resolve to " + ip.to_string(),
                 "Publish an A/AAAA record " + helo + " -> " + ip.to_string() + ", or HELO with the PTR name.", helo);
  }
  const bool matches = std::any_of(ptr_names.begin(), ptr_names.end(),
                                   [&](const std::string& n) { return text::iequals(n, helo); });
  if (matches) {
    c.report.add("helo.matches_ptr", Severity::ok, "the HELO name is the address's PTR name", {}, helo);
  } else {
    c.report.add("helo.matches_ptr", Severity::warning,
                 "the HELO name " + helo + " is not the forward-confirmed PTR name of " + ip.to_string(),
                 ptr_names.empty() ? "Set a PTR for the address that names " + helo + "."
                                   : "Set Postfix's smtp_helo_name = " + ptr_names.front() + ".",
                 helo);
  }
}

}  // namespace

asio::awaitable<void> check_hosts(Context& c) {
  co_await check_mx(c);
  if (c.options.ips.empty()) {
    c.report.add("ptr.given", Severity::info, "no sending address given, so reverse DNS was not checked",
                 "Run check with --ip ADDRESS of your outgoing mail server.");
    co_return;
  }
  for (const auto& ip : c.options.ips) {
    std::vector<std::string> confirmed = co_await check_ptr(c, ip);
    co_await check_helo(c, ip, confirmed);
  }
}

}  // namespace domainauth::setup::detail
