// Resolver settings: server specs, resolv.conf, and which resolver serves them
// (see config.hpp).
#include "dns/config.hpp"

#include <charconv>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dns/stub_resolver.hpp"
#include "dns/unbound_resolver.hpp"

namespace domainauth::dns {

namespace {

constexpr std::size_t max_resolv_conf_servers = 3;  // glibc's MAXNS

[[nodiscard]] bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

std::optional<ServerAddress> parse_server(std::string_view spec, std::string& error) {
  std::string_view host = spec;
  ServerAddress server;
  if (!spec.empty() && spec.front() == '[') {
    const std::size_t close = spec.find(']');
    if (close == std::string_view::npos) {
      error = "DNS server \"" + std::string(spec) + "\": missing ']'";
      return std::nullopt;
    }
    host = spec.substr(1, close - 1);
    const std::string_view rest = spec.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !parse_port(rest.substr(1), server.port))) {
      error = "DNS server \"" + std::string(spec) + "\": bad port after ']'";
      return std::nullopt;
    }
    if (!net::IpAddress::parse_v6(host)) {
      error = "DNS server \"" + std::string(spec) + "\": not an IPv6 address in brackets";
      return std::nullopt;
    }
  } else if (spec.find(':') != spec.rfind(':')) {
    // Two or more colons: a bare IPv6 address, no port.
  } else if (const std::size_t colon = spec.find(':'); colon != std::string_view::npos) {
    host = spec.substr(0, colon);
    if (!parse_port(spec.substr(colon + 1), server.port)) {
      error = "DNS server \"" + std::string(spec) + "\": bad port (want 1-65535)";
      return std::nullopt;
    }
  }
  const std::optional<net::IpAddress> address = net::IpAddress::parse(host);
  if (!address) {
    error = "DNS server \"" + std::string(spec) + "\": not an IP address";
    return std::nullopt;
  }
  server.address = *address;
  return server;
}

std::optional<std::vector<ServerAddress>> resolv_conf_servers(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<ServerAddress> servers;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::string keyword;
    std::string value;
    if (!(words >> keyword) || keyword != "nameserver" || !(words >> value)) continue;
    // A link-local IPv6 server with its zone ("fe80::1%eth0") cannot be reached
    // without the zone, which IpAddress does not carry: named as an error.
    const std::optional<net::IpAddress> address = net::IpAddress::parse(value);
    if (!address) {
      error = path + ":" + std::to_string(number) + ": nameserver \"" + value + "\" is not an IP address";
      return std::nullopt;
    }
    if (servers.size() < max_resolv_conf_servers) servers.push_back(ServerAddress{*address, 53});
  }
  if (servers.empty()) servers.push_back(ServerAddress{*net::IpAddress::parse("127.0.0.1"), 53});
  return servers;
}

std::unique_ptr<Resolver> make_resolver(asio::any_io_executor executor, const ResolverConfig& config,
                                        std::string& error) {
  if (config.trust_anchor_file.empty()) return StubResolver::create(std::move(executor), config, error);
  return UnboundResolver::create(std::move(executor), config, error);
}

}  // namespace domainauth::dns
