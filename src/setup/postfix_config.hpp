// Postfix's configuration as postconf(1) prints it: parameters ("name = value"
// lines of `postconf -x NAME...` and `postconf -P`), master.cf services
// (`postconf -M`, one line per service), Postfix lists (commas and white space
// separate items, "{ ... }" groups one) and milter / policy service entries
// ("inet:HOST:PORT", "unix:PATH", "{ ADDRESS, name=value, ... }"). Pure
// parsing, fuzzed (tests/fuzz/setup). Reads untrusted input: postconf output.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/listen.hpp"

namespace domainauth::setup {

// A master.cf service; overrides are its "-o name=value" options (postconf -P).
struct PostfixService {
  std::string name;     // "submission", "127.0.0.1:465", "policy"
  std::string type;     // inet, unix, pass, fifo, unix-dgram
  std::string command;  // smtpd, spawn, ...
  std::vector<std::string> arguments;  // after the command, as -M prints them
  std::map<std::string, std::string> overrides;
  std::string chroot;  // master.cf's 5th column: "y", "n" or "-" (Postfix's compiled-in default)
};

// The keys of a lookup table as the caller listed them (postmap -s, the file).
struct PostfixTableListing {
  std::vector<std::string> keys;
  std::string error;  // why the table could not be listed; empty when it was
};

struct PostfixConfig {
  std::map<std::string, std::string> parameters;  // main.cf, defaults and $names expanded
  std::vector<PostfixService> services;
  std::map<std::string, PostfixTableListing> tables;  // by the table as written in a domain list

  // The parameter's value; empty when postconf did not print it.
  [[nodiscard]] std::string get(const std::string& name) const;
};

// "name = value" lines; nothing on error, with the line in error.
[[nodiscard]] std::optional<std::map<std::string, std::string>> parse_postconf_parameters(std::string_view text,
                                                                                          std::string& error);
// postconf -M output and postconf -P output ("service/type/name = value").
[[nodiscard]] std::optional<std::vector<PostfixService>> parse_postconf_services(std::string_view master,
                                                                                 std::string_view overrides,
                                                                                 std::string& error);

// A Postfix list: "a, b c" -> {a, b, c}; "{ x, y }" and "inline:{ x, y }" are
// one item each (braces kept).
[[nodiscard]] std::vector<std::string> split_postfix_list(std::string_view value);

// A milter or policy service entry: "inet:127.0.0.1:8891" or
// "{ inet:127.0.0.1:8891, default_action=accept }".
struct PostfixEndpoint {
  std::string address;                          // as written
  std::map<std::string, std::string> settings;  // inside braces
};
[[nodiscard]] PostfixEndpoint parse_postfix_endpoint(std::string_view item);

// The socket an address names as a Postfix daemon reaches it: a relative unix:
// path from queue_directory (its working directory), an absolute one inside
// queue_directory when the daemon runs chrooted; nothing (with why) for other forms.
[[nodiscard]] std::optional<net::ListenAddress> postfix_socket(std::string_view address,
                                                               const std::string& queue_directory, bool chrooted,
                                                               std::string& error);

}  // namespace domainauth::setup
