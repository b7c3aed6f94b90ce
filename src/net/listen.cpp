// Listen addresses and HOST:PORT (see listen.hpp). Reads administrator text.
#include "net/listen.hpp"

#include <sys/un.h>

#include <charconv>

namespace domainauth::net {

namespace {

// sockaddr_un::sun_path holds the path and its terminating NUL.
constexpr std::size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;

std::optional<std::uint16_t> parse_port(std::string_view text, std::string& error) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value > 65535) {
    error = "port must be a number from 1 to 65535";  // 0 (any free port) is for tests
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// HOST without its brackets.
std::optional<std::string> parse_host(std::string_view host, std::string& error) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) {
    error = "missing host";
    return std::nullopt;
  }
  if (host == "*") return "0.0.0.0";
  return std::string(host);
}

std::optional<ListenAddress> parse_inet(std::string_view rest, std::string& error) {
  ListenAddress address;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {  // PORT@HOST (Sendmail, OpenDKIM)
    auto host = parse_host(rest.substr(at + 1), error);
    if (!host) return std::nullopt;
    auto port = parse_port(rest.substr(0, at), error);
    if (!port) return std::nullopt;
    address.host = std::move(*host);
    address.port = *port;
  } else if (rest.find(':') != std::string_view::npos) {  // HOST:PORT (Postfix)
    auto host_port = parse_host_port(rest, error);
    if (!host_port) return std::nullopt;
    address.host = std::move(host_port->host);
    address.port = host_port->port;
  } else {  // PORT: every IPv4 address
    auto port = parse_port(rest, error);
    if (!port) return std::nullopt;
    address.host = "0.0.0.0";
    address.port = *port;
  }
  return address;
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text, std::string& error) {
  // The colon after "[IPV6]", else the last one.
  const auto close = text.starts_with('[') ? text.find("]:") : std::string_view::npos;
  const auto colon = close != std::string_view::npos ? close + 1 : text.rfind(':');
  if (colon == std::string_view::npos) {
    error = "expected HOST:PORT";
    return std::nullopt;
  }
  if (close == std::string_view::npos && text.substr(0, colon).find(':') != std::string_view::npos) {
    error = "an IPv6 address needs brackets: [IPV6]";  // where would its port begin?
    return std::nullopt;
  }
  auto host = parse_host(text.substr(0, colon), error);
  if (!host) return std::nullopt;
  auto port = parse_port(text.substr(colon + 1), error);
  if (!port) return std::nullopt;
  return HostPort{std::move(*host), *port};
}

std::optional<ListenAddress> ListenAddress::parse(std::string_view text, std::string& error) {
  const auto colon = text.find(':');
  const auto scheme = text.substr(0, colon);
  const auto rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (colon != std::string_view::npos && (scheme == "unix" || scheme == "local")) {
    if (rest.empty() || rest.size() > kMaxUnixPath) {
      error = "unix socket path must have 1 to " + std::to_string(kMaxUnixPath) + " bytes";
      return std::nullopt;
    }
    if (rest.front() != '/') {
      error = "unix socket path must be absolute";
      return std::nullopt;
    }
    ListenAddress address;
    address.kind = Kind::unix_socket;
    address.path = std::string(rest);
    return address;
  }
  if (colon != std::string_view::npos && (scheme == "inet" || scheme == "inet6")) {
    auto address = parse_inet(rest, error);
    if (address && scheme == "inet6" && !IpAddress::parse_v6(address->host)) {
      error = "inet6: HOST must be an IPv6 address";
      return std::nullopt;
    }
    return address;
  }
  error = "expected inet:HOST:PORT or unix:PATH";
  return std::nullopt;
}

std::string ListenAddress::to_string() const {
  if (kind == Kind::unix_socket) return "unix:" + path;
  const bool v6 = host.find(':') != std::string::npos;
  return "inet:" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<IpAddress> ListenAddress::ip() const {
  if (host == "localhost") return IpAddress::v4({127, 0, 0, 1});
  return IpAddress::parse(host);
}

}  // namespace domainauth::net
