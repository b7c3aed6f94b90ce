// The one readability check for daemon.user (see read_access.hpp).
#include "cli/read_access.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/read_as.hpp"

namespace domainauth::cli {

std::vector<std::string> unreadable_as(const config::Account& account, const std::vector<std::string>& files) {
  std::vector<std::string> lines;
  auto by_bits = [&] {
    for (const auto& file : files) {
      if (auto reason = config::unreadable_reason(file, account)) {
        lines.push_back(config::unreadable_line(file, account, *reason));
      }
    }
  };
  if (::geteuid() != 0) {
    by_bits();
    return lines;
  }
  // Root: the kernel decides as the user; the bits only explain a refusal.
  std::string error;
  const auto codes = daemon::open_errors_as(account, files, error);
  if (!codes) {
    lines.push_back("daemon.user: cannot open the files as user " + account.name + " (" + error +
                    "); judged from their permission bits instead");
    by_bits();
    return lines;
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if ((*codes)[i] == 0) continue;
    std::string reason = std::strerror((*codes)[i]);
    if ((*codes)[i] == EACCES) {
      if (auto bits = config::unreadable_reason(files[i], account)) reason += " (" + *bits + ")";
    }
    lines.push_back(config::unreadable_line(files[i], account, reason));
  }
  return lines;
}

std::vector<std::string> access_warnings(const config::Config& config, const std::string& config_path) {
  if (config.daemon.user.empty()) return {};
  std::string error;
  const auto account = config::find_account(config.daemon.user, error);
  if (!account) return {"daemon.user: " + error + "; serve started as root cannot drop privileges to it"};
  return unreadable_as(*account, config::files_read(config, config_path));
}

std::vector<std::string> access_warnings(const config::LoadResult& loaded, const std::string& config_path) {
  if (!loaded.config) {
    return {"cannot check which files daemon.user can read: " +
            (loaded.errors.empty() ? std::string("the configuration does not load") : loaded.errors.front())};
  }
  return access_warnings(*loaded.config, config_path);
}

}  // namespace domainauth::cli
