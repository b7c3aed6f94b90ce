// Whether a user can really read files: a child process becomes the user (the
// same privilege drop as serve, daemon.hpp) and opens each file for reading, so
// the kernel decides with everything it applies (permission bits, supplementary
// groups, ACLs, MAC, every folder above) and reports back over a pipe. Used by
// configtest and serve at start as root. Reads the files named by the
// configuration (administrator input); reads none of their content.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/file_access.hpp"

namespace domainauth::daemon {

// The errno of opening each of files read-only as account, in the same order, 0
// for a file it can read. Needs root. Nothing, error set, when the check could
// not be made (no pipe or process, the child could not become account).
[[nodiscard]] std::optional<std::vector<int>> open_errors_as(const config::Account& account,
                                                            const std::vector<std::string>& files,
                                                            std::string& error);

}  // namespace domainauth::daemon
