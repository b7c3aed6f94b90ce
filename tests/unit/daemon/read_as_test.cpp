// daemon::open_errors_as: the kernel's answer for another user, not the
// permission bits' — a root-only file is refused, a POSIX ACL entry or a
// supplementary group grants it, a folder above without search refuses it, and a
// user that would keep root is an error. Needs root (skipped otherwise) and, for
// the ACL case, setfacl (package acl) on a file system with ACLs.
#include "daemon/read_as.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using domainauth::config::Account;
using domainauth::daemon::open_errors_as;

constexpr gid_t kOtherGroup = 4242;  // a group nobody is not in (no group entry needed)

class ReadAs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    std::string error;
    const auto nobody = domainauth::config::find_account("nobody", error);
    if (!nobody) GTEST_SKIP() << error;
    nobody_ = *nobody;
    std::string pattern = (fs::temp_directory_path() / "read_as.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::permissions(dir_, fs::perms(0755));
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // A file owned by root and group with mode.
  std::string file(const fs::path& path, unsigned mode, gid_t group = 0) {
    std::ofstream(path) << "x\n";
    EXPECT_EQ(::chown(path.c_str(), 0, group), 0);
    fs::permissions(path, fs::perms(mode));
    return path.string();
  }
  std::vector<int> codes(const Account& account, const std::vector<std::string>& files) {
    std::string error;
    const auto result = open_errors_as(account, files, error);
    EXPECT_TRUE(result.has_value()) << error;
    return result.value_or(std::vector<int>{});
  }

  Account nobody_;
  fs::path dir_;
};

TEST_F(ReadAs, RootOnlyFileIsRefusedOthersNot) {
  const auto secret = file(dir_ / "k.private", 0600);
  const auto open = file(dir_ / "domainauth.toml", 0644);
  EXPECT_EQ(codes(nobody_, {secret, open, (dir_ / "absent").string()}), (std::vector<int>{EACCES, 0, ENOENT}));
}

TEST_F(ReadAs, AclEntryGrantsWhatTheModeBitsDeny) {
  const auto secret = file(dir_ / "k.private", 0600);
  const std::string command = "setfacl -m u:" + std::to_string(nobody_.uid) + ":r " + secret + " 2>/dev/null";
  if (std::system(command.c_str()) != 0) GTEST_SKIP() << "setfacl missing or no ACLs on " << dir_;
  // The bits (group root, no bits for others) still say nobody cannot read it.
  EXPECT_TRUE(domainauth::config::unreadable_reason(secret, nobody_).has_value());
  EXPECT_EQ(codes(nobody_, {secret}), std::vector<int>{0});
}

TEST_F(ReadAs, SupplementaryGroupGrantsRead) {
  const auto shared = file(dir_ / "KeyTable", 0640, kOtherGroup);
  EXPECT_EQ(codes(nobody_, {shared}), std::vector<int>{EACCES});
  Account member = nobody_;
  member.groups.push_back(kOtherGroup);
  EXPECT_EQ(codes(member, {shared}), std::vector<int>{0});
}

TEST_F(ReadAs, FolderWithoutSearchRefuses) {
  fs::create_directory(dir_ / "keys");
  fs::permissions(dir_ / "keys", fs::perms(0700));
  EXPECT_EQ(codes(nobody_, {file(dir_ / "keys" / "k.private", 0644)}), std::vector<int>{EACCES});
}

TEST_F(ReadAs, UserKeepingRootIsAnError) {
  std::string error;
  EXPECT_FALSE(open_errors_as(Account{"root", 0, 0, {0}}, {file(dir_ / "f", 0600)}, error).has_value());
  EXPECT_EQ(error, "could regain root after becoming root");
}

}  // namespace
