// Whether daemon.user can read the files a configuration names, the one check
// of it that configtest, serve (at start), init, keys rotate and migrate share:
// as root a child process opens the files as that user (daemon/read_as.hpp),
// so ACLs, groups and every folder above count; otherwise, or when that fails
// (one more line says so), the permission bits decide (config/file_access.hpp).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/file_access.hpp"

namespace domainauth::cli {

// One config::unreadable_line() per file of files account cannot read.
[[nodiscard]] std::vector<std::string> unreadable_as(const config::Account& account,
                                                     const std::vector<std::string>& files);

// The same for every file a load of config reads (config::files_read()), and
// one line when daemon.user does not exist. Nothing when daemon.user is empty.
[[nodiscard]] std::vector<std::string> access_warnings(const config::Config& config,
                                                       const std::string& config_path);

// access_warnings() of a configuration just written to config_path (init,
// migrate; config_path empty when it was only printed), or one line saying why
// it cannot be checked when it does not load.
[[nodiscard]] std::vector<std::string> access_warnings(const config::LoadResult& loaded,
                                                       const std::string& config_path);

}  // namespace domainauth::cli
