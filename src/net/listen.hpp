// Listen addresses: the one grammar for every socket domainauth listens on (the
// milter, the Postfix policy service), in the forms Postfix, Sendmail and
// OpenDKIM write them. Pure parsing: binding the socket is milter/'s and
// policy/'s. Also the "HOST:PORT" part alone ([report] relay). Reads
// administrator text (the configuration file, a test server's command line).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/address.hpp"

namespace domainauth::net {

// "HOST:PORT" or "[IPV6]:PORT"; HOST an IP address or a name, PORT 0 to 65535.
struct HostPort {
  std::string host;  // without brackets
  std::uint16_t port = 0;
};

// Nothing on error, with why in error.
[[nodiscard]] std::optional<HostPort> parse_host_port(std::string_view text, std::string& error);

struct ListenAddress {
  enum class Kind : std::uint8_t { inet, unix_socket };
  Kind kind = Kind::inet;
  std::string host;        // inet: an IP address (IPv6 without brackets) or a name
  std::uint16_t port = 0;  // inet; 0: any free port
  std::string path;        // unix: absolute

  // inet:HOST:PORT, inet:[IPV6]:PORT, inet:PORT@HOST, inet6:PORT@IPV6, inet:PORT
  // (HOST "*" and no HOST: every IPv4 address, 0.0.0.0), unix:PATH, local:PATH.
  // Nothing on error, with why in error.
  [[nodiscard]] static std::optional<ListenAddress> parse(std::string_view text, std::string& error);
  // "inet:HOST:PORT" ("inet:[IPV6]:PORT"), "unix:PATH": parse() reads it back.
  [[nodiscard]] std::string to_string() const;
  // The inet address to bind without a DNS lookup: HOST as an IP address,
  // "localhost" as 127.0.0.1; nothing for any other name.
  [[nodiscard]] std::optional<IpAddress> ip() const;

  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

}  // namespace domainauth::net
