// config/file_access.hpp: whether daemon.user can read the configuration's
// files after the privilege drop (permission bits, every folder above, the
// user's groups), and which files a configuration reads. The permission cases
// need root (to make files of other owners) and the user nobody.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/file_access.hpp"

namespace domainauth::config {
namespace {

class FileAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    auto nobody = find_account("nobody", error);
    if (::geteuid() != 0 || !nobody) GTEST_SKIP() << "needs root and the user nobody";
    nobody_ = *nobody;
    dir_ = std::filesystem::temp_directory_path() / ("domainauth-access-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A file owned by root and group gid with the mode.
  std::string file(const std::filesystem::path& path, unsigned mode, gid_t gid = 0) {
    std::ofstream(path) << "x\n";
    EXPECT_EQ(::chown(path.c_str(), 0, gid), 0);
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path.string();
  }

  Account nobody_;
  std::filesystem::path dir_;
};

TEST_F(FileAccess, RootOnlyFileIsUnreadableAndTheReasonGivesModeAndOwner) {
  const auto path = file(dir_ / "key.private", 0600);
  const auto reason = unreadable_reason(path, nobody_);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("mode 0600, owner root:root"), std::string::npos) << *reason;
}

TEST_F(FileAccess, GroupReadableFileIsReadableThroughTheUsersGroup) {
  EXPECT_FALSE(unreadable_reason(file(dir_ / "domainauth.toml", 0640, nobody_.gid), nobody_).has_value());
  // The same mode with another group: not readable.
  const auto other = unreadable_reason(file(dir_ / "other.toml", 0640, 0), nobody_);
  EXPECT_TRUE(other.has_value());
}

TEST_F(FileAccess, FileOwnedByTheUserIsReadableWithMode0600) {
  const auto path = file(dir_ / "owned.private", 0600);
  ASSERT_EQ(::chown(path.c_str(), nobody_.uid, nobody_.gid), 0);
  EXPECT_FALSE(unreadable_reason(path, nobody_).has_value());
}

TEST_F(FileAccess, AFolderWithoutSearchPermissionBlocksAReadableFile) {
  std::filesystem::create_directories(dir_ / "keys");
  ASSERT_EQ(::chmod((dir_ / "keys").c_str(), 0700), 0);
  const auto reason = unreadable_reason(file(dir_ / "keys" / "k.private", 0644), nobody_);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("folder " + (dir_ / "keys").string() + " (mode 0700"), std::string::npos) << *reason;
  EXPECT_NE(reason->find("cannot be searched"), std::string::npos) << *reason;
}

TEST_F(FileAccess, MissingFileGivesTheOsError) {
  const auto reason = unreadable_reason((dir_ / "absent").string(), nobody_);
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "No such file or directory");
}

TEST_F(FileAccess, RootReadsEverything) {
  std::string error;
  const auto root = find_account("root", error);
  ASSERT_TRUE(root.has_value()) << error;
  EXPECT_FALSE(unreadable_reason(file(dir_ / "secret", 0000), *root).has_value());
}

TEST_F(FileAccess, UnreadableFilesNamesFileUserUidAndReason) {
  const auto path = file(dir_ / "domainauth.toml", 0600);
  const auto lines = unreadable_files(defaults(), path, nobody_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], path + ": not readable by user nobody (uid " + std::to_string(nobody_.uid) +
                          "): mode 0600, owner root:root; a reload after the privilege drop would fail");
}

TEST(FilesRead, EveryTableHostListKeyArcKeyAndPslOnceEach) {
  Config config = defaults();
  config.sign.keytable = "/etc/opendkim/KeyTable";
  config.sign.signingtable = "refile:/etc/opendkim/SigningTable";
  config.sign.internal_hosts_spec = {"127.0.0.1", "refile:/etc/opendkim/TrustedHosts"};
  config.sign.external_ignore_spec = {"file:/etc/opendkim/TrustedHosts", "mail.example.com"};
  config.sign.native = {{"example.org", "s1", "/keys/org.private", "", 3}};
  config.sign.tables.keys = {{"k", "example.com", "s2", "/keys/com.private"}};
  config.arc.seal = true;
  config.arc.key_file = "/keys/arc.private";
  config.dmarc.mode = dmarc::OrgDomainMode::rfc7489_psl;
  config.dmarc.psl_file = "/usr/share/psl.dat";
  const std::vector<std::string> want = {"/etc/domainauth.toml",         "/etc/opendkim/KeyTable",
                                         "/etc/opendkim/SigningTable",   "/etc/opendkim/TrustedHosts",
                                         "/keys/org.private",            "/keys/com.private",
                                         "/keys/arc.private",            "/usr/share/psl.dat"};
  EXPECT_EQ(files_read(config, "/etc/domainauth.toml"), want);
}

TEST(FilesRead, NoSuchUserIsAnError) {
  std::string error;
  EXPECT_FALSE(find_account("no-such-user-domainauth", error).has_value());
  EXPECT_EQ(error, "no such user \"no-such-user-domainauth\"");
}

}  // namespace
}  // namespace domainauth::config
