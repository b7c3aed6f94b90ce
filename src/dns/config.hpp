// Resolver settings and the choice of dns::Resolver implementation: the caching
// stub resolver (stub_resolver.hpp) when no DNSSEC validation is asked for, which
// is the daemon's case and the CLI's by default; libunbound (unbound_resolver.hpp)
// when a trust anchor file is given, since only it validates.
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"
#include "net/address.hpp"

namespace domainauth::dns {

struct ResolverConfig {
  // Where every query goes: "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" (HOST an
  // IP address, port 53 by default). Empty: the nameservers of /etc/resolv.conf.
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{5000};
  // Trust anchors in zone-file format (DS or DNSKEY records). Empty: no DNSSEC
  // validation, every answer Dnssec::insecure.
  std::string trust_anchor_file;
};

struct ServerAddress {
  net::IpAddress address;
  std::uint16_t port = 53;
};

// A server spec as above. std::nullopt, with error set, when it is not an IP
// address with an optional port.
[[nodiscard]] std::optional<ServerAddress> parse_server(std::string_view spec, std::string& error);

// The "nameserver" lines of a resolv.conf (at most 3, as the C library uses;
// none: 127.0.0.1, as the C library assumes). std::nullopt, with error set, when
// the file cannot be read or names something that is not an IP address.
[[nodiscard]] std::optional<std::vector<ServerAddress>> resolv_conf_servers(const std::string& path,
                                                                            std::string& error);

// The resolver for config (see the top of this file), posting its handlers to
// executor; nullptr, with error set, when the configuration is unusable.
[[nodiscard]] std::unique_ptr<Resolver> make_resolver(asio::any_io_executor executor, const ResolverConfig& config,
                                                      std::string& error);

}  // namespace domainauth::dns
