// configtest's check of the milter, policy and web listen addresses: whether serve
// could bind them now, without disturbing a daemon that runs. An inet address
// is bound (SO_REUSEADDR, as the servers do, no listen) and released at once;
// a unix socket's folder must exist and be writable by daemon.user; an address
// something already accepts on is a warning (a running domainauth holds its
// own addresses), not an error. Reads the file system and opens sockets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/file_access.hpp"

namespace domainauth::cli {

struct ListenFindings {
  std::vector<std::string> errors, warnings;  // "milter.listen: ADDRESS: what"
};

// account: daemon.user's, nothing when it has none (the caller binds).
[[nodiscard]] ListenFindings check_listeners(const config::Config& config,
                                             const std::optional<config::Account>& account);

}  // namespace domainauth::cli
