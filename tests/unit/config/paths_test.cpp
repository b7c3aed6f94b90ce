// The default paths table (config/paths.hpp): both platforms' entries, and that
// the embedded defaults and the written Postfix lines come from this build's.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/paths.hpp"

namespace domainauth::config {
namespace {

TEST(Paths, FreeBsdUsesPortsFoldersAndMailnull) {
  constexpr auto p = default_paths(Platform::freebsd);
  EXPECT_EQ(p.config_dir, "/usr/local/etc/domainauth");
  EXPECT_EQ(p.config_file, "/usr/local/etc/domainauth/domainauth.toml");
  EXPECT_EQ(p.history_file, "/var/db/domainauth/history.sqlite");
  EXPECT_EQ(p.program, "/usr/local/sbin/domainauth");
  EXPECT_EQ(p.daemon_user, "mailnull");
}

TEST(Paths, DebianUsesFhsFolders) {
  constexpr auto p = default_paths(Platform::debian);
  EXPECT_EQ(p.config_dir, "/etc/domainauth");
  EXPECT_EQ(p.config_file, "/etc/domainauth/domainauth.toml");
  EXPECT_EQ(p.history_file, "/var/lib/domainauth/history.sqlite");
  EXPECT_EQ(p.program, "/usr/sbin/domainauth");
  EXPECT_EQ(p.daemon_user, "nobody");
}

TEST(Paths, EveryPathOfATableIsAbsoluteAndTheFileIsInTheFolder) {
  for (const auto platform : {Platform::debian, Platform::freebsd}) {
    const auto p = default_paths(platform);
    for (const auto path : {p.config_dir, p.config_file, p.history_file, p.program}) {
      EXPECT_EQ(path.substr(0, 1), "/") << path;
    }
    EXPECT_EQ(p.config_file.substr(0, p.config_dir.size() + 1), std::string(p.config_dir) + "/");
  }
}

TEST(Paths, TheEmbeddedDefaultsComeFromThisBuildsTable) {
#if defined(__FreeBSD__)
  EXPECT_EQ(kPlatform, Platform::freebsd);
#else
  EXPECT_EQ(kPlatform, Platform::debian);
#endif
  const auto config = defaults();
  EXPECT_EQ(config.store.sqlite_path, paths().history_file);
  EXPECT_EQ(config.daemon.user, paths().daemon_user);
}

}  // namespace
}  // namespace domainauth::config
