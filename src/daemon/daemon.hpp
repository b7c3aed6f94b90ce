// Process-level chores of `domainauth serve` and `domainauth policy`: logging
// (spdlog to stderr or syslog facility mail; stderr lines carry journal
// priorities when systemd connected stderr to the journal), dropping root to the configured
// user after the sockets are bound, and the PID file. Reads the configured user
// name and paths (administrator input).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/file_access.hpp"

namespace domainauth::daemon {

// Makes the default spdlog logger write to the target at the level. ident names
// the program in syslog.
void setup_logging(config::LogTarget target, config::LogLevel level, const std::string& ident);

// When running as root and user is not empty: hands the given paths (bound
// unix sockets) to user, then becomes user (its groups, gid, uid) for good.
// Does nothing when not root or user is empty. False with a message on failure.
[[nodiscard]] bool drop_privileges(const std::string& user, const std::vector<std::string>& owned_paths,
                                   std::string& error);

// Becomes account for good: its groups, gid, then uid (needs root); checks that
// root cannot be regained. False with a message on failure.
[[nodiscard]] bool become_user(const config::Account& account, std::string& error);

// Writes this process id to path (replacing the file). False with a message
// naming the file and the OS error on failure.
[[nodiscard]] bool write_pid_file(const std::string& path, std::string& error);
// Removes the PID file. After dropping root this works only in a folder
// daemon.user may write (systemd: RuntimeDirectory=); false with a message
// naming the file and the OS error otherwise.
[[nodiscard]] bool remove_pid_file(const std::string& path, std::string& error);

// Raises the soft limit on open descriptors towards wanted (at most the hard
// limit), so the connection caps, not EMFILE, decide; logs when wanted is out of
// reach (the caps then need lowering or LimitNOFILE raising).
void raise_descriptor_limit(std::size_t wanted);

}  // namespace domainauth::daemon
