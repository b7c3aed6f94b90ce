// What `domainauth configtest` and its alias `serve --check` do, shared with serve,
// which logs the same warnings at start as root.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace domainauth::cli {

// One line per file daemon.user could not read after the privilege drop (a SIGHUP
// reload would fail on it), and one when daemon.user does not exist. As root a
// child process opens the files as daemon.user (daemon/read_as.hpp), so ACLs and
// groups count; otherwise, or when that fails (one more line), the permission
// bits decide (config/file_access.hpp).
[[nodiscard]] std::vector<std::string> access_warnings(const config::Config& config,
                                                       const std::string& config_path);

// Loads the configuration, its tables and keys as serve would, checks its
// listen addresses (listen_check.hpp: an error when one cannot be bound, a
// warning when something accepts on it already); prints each error
// ("file:line: key: message") and each warning on stderr, prefixed with
// "domainauth <command>: ", or everything as one JSON object on stdout:
//   {"ok": bool, "errors": [text], "warnings": [text], "signing_keys": N}
// (signing_keys only when the configuration loaded). Exit status 0, or kExitUsage on errors.
[[nodiscard]] int run_configtest(const std::string& config_path, const std::string& dns, bool json,
                                 const std::string& command);

}  // namespace domainauth::cli
