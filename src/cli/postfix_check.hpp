// `domainauth check --postfix`: reads Postfix's configuration through
// postconf(1) (`-x NAME...` for the parameters with defaults and $names
// expanded, `-M` for master.cf services, `-P -x` for their -o overrides),
// lists the domains of the lookup tables in its domain lists (postmap -s, or the
// table file read), compares it with the domainauth configuration, and tries the
// sockets Postfix would connect to (setup/postfix_check.hpp judges). Runs
// postconf and postmap, reads table files, opens sockets.
#pragma once

#include <optional>
#include <string>

#include "setup/postfix_check.hpp"

namespace domainauth::cli {

// Postfix's configuration in directory (empty: Postfix's own), its domain
// tables listed (a table that cannot be read has its error, not a failure);
// nothing, with why in error, when postconf cannot run or prints what we cannot read.
[[nodiscard]] std::optional<setup::PostfixConfig> read_postfix_config(const std::string& directory, std::string& error);

// What domainauth's configuration file (empty: the embedded defaults) makes it
// listen on and sign; nothing, with why in error, when the file does not load.
[[nodiscard]] std::optional<setup::PostfixExpectations> postfix_expectations(const std::string& config_file,
                                                                             std::string& error);

}  // namespace domainauth::cli
