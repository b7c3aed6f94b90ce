// What `domainauth configtest` and its alias `serve --check` do (serve logs the
// same access warnings at start as root, cli/read_access.hpp).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace domainauth::cli {

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
