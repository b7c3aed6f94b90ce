// daemon::open_errors_as: the kernel's answer for another user, not the
// permission bits' — a root-only file is refused, a POSIX ACL entry or a
// supplementary group grants it, a folder above without search refuses it, and a
// user that would keep root is an error. Needs root (skipped otherwise) and, for
// the ACL case, setfacl (package acl) on a file system with ACLs.
#include "daemon/read_as.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "support/as_nobody.hpp"

namespace {

namespace fs = std::filesystem;
using domainauth::config::Account;
using domainauth::daemon::open_errors_as;

constexpr gid_t kOtherGroup = 4242;  // a group nobody is not in (no group entry needed)

class ReadAs : public domainauth::testing::AsNobody {
 protected:
  std::vector<int> codes(const Account& account, const std::vector<std::string>& files) {
    std::string error;
    const auto result = open_errors_as(account, files, error);
    EXPECT_TRUE(result.has_value()) << error;
    return result.value_or(std::vector<int>{});
  }
};

TEST_F(ReadAs, RootOnlyFileIsRefusedOthersNot) {
  const auto secret = file(dir_ / "k.private", 0600);
  const auto open = file(dir_ / "domainauth.toml", 0644);
  EXPECT_EQ(codes(nobody_, {secret, open, (dir_ / "absent").string()}), (std::vector<int>{EACCES, 0, ENOENT}));
}

TEST_F(ReadAs, AclEntryGrantsWhatTheModeBitsDeny) {
  const auto secret = file(dir_ / "k.private", 0600);
  if (!grant_acl("r", secret)) GTEST_SKIP() << "setfacl missing or no ACLs on " << dir_;
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
