// The default paths and daemon user of the system domainauth is built for:
// Debian's (FHS, the package) or FreeBSD's (ports under /usr/local, /var/db,
// /var/run, mailnull as the seed's OpenDKIM runs). One table per platform,
// chosen at compile time; default_paths() is pure so a test on either system
// checks both. Everything that writes or documents a default path asks here.
#pragma once

#include <string_view>

namespace domainauth::config {

enum class Platform { debian, freebsd };

struct DefaultPaths {
  std::string_view config_dir;    // the configuration, keys/ below it
  std::string_view config_file;   // what serve, configtest and keys rotate read
  std::string_view history_file;  // store.sqlite_path
  std::string_view program;       // the installed binary
  std::string_view daemon_user;   // daemon.user
};

[[nodiscard]] constexpr DefaultPaths default_paths(Platform platform) {
  if (platform == Platform::freebsd) {
    return {"/usr/local/etc/domainauth", "/usr/local/etc/domainauth/domainauth.toml",
            "/var/db/domainauth/history.sqlite", "/usr/local/sbin/domainauth", "mailnull"};
  }
  return {"/etc/domainauth", "/etc/domainauth/domainauth.toml", "/var/lib/domainauth/history.sqlite",
          "/usr/sbin/domainauth", "nobody"};
}

#if defined(__FreeBSD__)
inline constexpr Platform kPlatform = Platform::freebsd;
#else
inline constexpr Platform kPlatform = Platform::debian;
#endif

// This build's table.
[[nodiscard]] constexpr DefaultPaths paths() { return default_paths(kPlatform); }

}  // namespace domainauth::config
