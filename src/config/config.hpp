// domainauth.toml: the configuration model and its loader. Every key is declared
// once in a table (name, type, default, doc) in config.cpp; later features add
// keys there. Every key is optional; a missing file section means its defaults.
// Reads an untrusted-ish file written by the administrator: every value is type-
// and range-checked at start, unknown keys are errors, and each error names
// file:line:key.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/spf_decision.hpp"
#include "net/address.hpp"

namespace domainauth::config {

// "inet:HOST:PORT" (HOST an IPv4 address, [IPv6] or a name) or "unix:PATH".
struct Listener {
  enum class Kind : std::uint8_t { inet, unix_socket };
  Kind kind = Kind::inet;
  std::string host;  // inet: without brackets
  std::uint16_t port = 0;
  std::string path;  // unix

  // Nothing on success, else why the text is not a listener.
  [[nodiscard]] static std::optional<Listener> parse(std::string_view text, std::string& error);
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const Listener&, const Listener&) = default;
};

enum class LogTarget : std::uint8_t { stderr_stream, syslog };
enum class LogLevel : std::uint8_t { debug, info, warning, error };

struct DnsSettings {
  std::vector<std::string> servers;  // "HOST[:PORT]"; empty: the system resolv.conf
  std::chrono::milliseconds timeout{5000};
  friend bool operator==(const DnsSettings&, const DnsSettings&) = default;
};

struct PolicySettings {
  std::vector<Listener> listen;
  unsigned socket_mode = 0;  // permission bits of unix: sockets
  std::chrono::milliseconds idle_timeout{0};     // between requests
  std::chrono::milliseconds request_timeout{0};  // from a request's first byte to its end
  std::size_t cache_size = 0;                    // instances remembered
  std::size_t max_connections = 0;
};

struct SpfSettings {
  engine::SpfPolicy policy;
  std::vector<net::Network> skip_addresses;
  bool skip_authenticated = true;
  bool received_spf = true;
  std::string receiver;     // the host name when not configured
  std::string explanation;  // empty: the SPF module's default explanation
};

struct DaemonSettings {
  std::string user;      // drop root to this user after binding; empty: stay
  std::string pid_file;  // empty: none
  LogTarget log = LogTarget::stderr_stream;
  LogLevel log_level = LogLevel::info;
};

struct Config {
  DnsSettings dns;
  PolicySettings policy;
  SpfSettings spf;
  DaemonSettings daemon;
};

// One declared key, for documentation (`--help`, docs) and for the loader.
struct KeyInfo {
  std::string_view name;           // dotted: "policy.listen"
  std::string_view type;           // "string", "bool", "integer", "seconds", "list of strings"
  std::string_view default_value;  // as TOML text
  std::string_view doc;
};
[[nodiscard]] std::vector<KeyInfo> keys();

struct LoadResult {
  std::optional<Config> config;     // set when there are no errors
  std::vector<std::string> errors;  // "FILE:LINE: KEY: what is wrong", in line order
};

// The embedded defaults (what an empty file gives).
[[nodiscard]] Config defaults();
[[nodiscard]] LoadResult load_file(const std::string& path);
// file_name only labels errors.
[[nodiscard]] LoadResult load_string(std::string_view text, const std::string& file_name);

[[nodiscard]] std::string_view to_string(LogLevel level);

}  // namespace domainauth::config
