// Process-level chores of `domainauth serve` and `domainauth policy`: logging
// (spdlog to stderr or syslog facility mail), dropping root to the configured
// user after the sockets are bound, and the PID file. Reads the configured user
// name and paths (administrator input).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace domainauth::daemon {

// Makes the default spdlog logger write to the target at the level. ident names
// the program in syslog.
void setup_logging(config::LogTarget target, config::LogLevel level, const std::string& ident);

// When running as root and user is not empty: hands the given paths (bound
// unix sockets) to user, then becomes user (its groups, gid, uid) for good.
// Does nothing when not root or user is empty. False with a message on failure.
[[nodiscard]] bool drop_privileges(const std::string& user, const std::vector<std::string>& owned_paths,
                                   std::string& error);

// Writes this process id to path (replacing the file). False with a message on failure.
[[nodiscard]] bool write_pid_file(const std::string& path, std::string& error);

}  // namespace domainauth::daemon
