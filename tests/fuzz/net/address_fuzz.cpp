// libFuzzer target: IP address and CIDR network parsing (RFC 4291 2.2 text
// forms, dotted quads, "/len") on arbitrary text, as read from SMTP clients,
// SPF records and configuration. What parses prints back to text that parses
// to the same value; nothing may crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using domainauth::net::IpAddress;
  using domainauth::net::Network;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto ip = IpAddress::parse(text)) {
    const auto again = IpAddress::parse(ip->to_string());
    if (!again || *again != *ip) std::abort();
    if (ip->reverse_name().empty()) std::abort();
    if (!ip->matches(*ip, static_cast<unsigned>(ip->size() * 8))) std::abort();
  }
  if (const auto network = Network::parse(text)) {
    const auto again = Network::parse(network->to_string());
    if (!again || again->to_string() != network->to_string()) std::abort();
    if (!network->contains(network->address)) std::abort();
  }
  return 0;
}
