// Listener addresses as Postfix writes them: "inet:HOST:PORT" and "unix:PATH"
// (the forms of Postfix's check_policy_service and smtpd_milters). Reads
// administrator text from the configuration file.
#include <sys/un.h>

#include <charconv>

#include "config/config.hpp"

namespace domainauth::config {

namespace {

// sockaddr_un::sun_path holds the path and its terminating NUL.
constexpr std::size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;

std::optional<Listener> parse_inet(std::string_view rest, std::string& error) {
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    error = "expected inet:HOST:PORT";
    return std::nullopt;
  }
  Listener listener;
  std::string_view host = rest.substr(0, colon);
  const std::string_view port = rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) {
    error = "missing host";
    return std::nullopt;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
    error = "port must be a number from 1 to 65535";
    return std::nullopt;
  }
  listener.kind = Listener::Kind::inet;
  listener.host = std::string(host);
  listener.port = static_cast<std::uint16_t>(value);
  return listener;
}

}  // namespace

std::optional<Listener> Listener::parse(std::string_view text, std::string& error) {
  if (text.substr(0, 5) == "inet:") return parse_inet(text.substr(5), error);
  if (text.substr(0, 5) == "unix:") {
    const auto path = text.substr(5);
    if (path.empty() || path.size() > kMaxUnixPath) {
      error = "unix socket path must have 1 to " + std::to_string(kMaxUnixPath) + " bytes";
      return std::nullopt;
    }
    Listener listener;
    listener.kind = Kind::unix_socket;
    listener.path = std::string(path);
    return listener;
  }
  error = "expected inet:HOST:PORT or unix:PATH";
  return std::nullopt;
}

std::string Listener::to_string() const {
  if (kind == Kind::unix_socket) return "unix:" + path;
  const bool v6 = host.find(':') != std::string::npos;
  return "inet:" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace domainauth::config
