// cli::unreadable_as and cli::access_warnings: as root the kernel decides for
// daemon.user, so a POSIX ACL that grants what the permission bits refuse, or
// refuses what they grant, counts (a judgement from the bits alone gets both
// wrong); a folder above without search refuses. Needs root (skipped
// otherwise) and setfacl (package acl) on a file system with ACLs.
#include "cli/read_access.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/as_nobody.hpp"

namespace domainauth::cli {
namespace {

using ReadAccess = domainauth::testing::AsNobody;

TEST_F(ReadAccess, TheKernelDecidesNotThePermissionBits) {
  const std::string granted = file(dir_ / "granted.private", 0600);  // root's, bits refuse nobody
  const std::string refused = file(dir_ / "refused.private", 0644);  // bits let everyone read
  if (!grant_acl("r", granted) || !grant_acl("-", refused)) GTEST_SKIP() << "setfacl missing or no ACLs on " << dir_;
  ASSERT_TRUE(config::unreadable_reason(granted, nobody_)) << "the bits alone would warn about it";
  ASSERT_FALSE(config::unreadable_reason(refused, nobody_)) << "the bits alone would not warn about it";
  const auto lines = unreadable_as(nobody_, {granted, refused});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind(refused + ": not readable by user nobody", 0), 0u) << lines[0];
}

TEST_F(ReadAccess, RootOnlyFileAndClosedFolder) {
  const std::string key = file(dir_ / "key.private", 0600);
  std::filesystem::create_directory(dir_ / "closed");
  const std::string inside = file(dir_ / "closed" / "open.private", 0644);
  std::filesystem::permissions(dir_ / "closed", std::filesystem::perms(0700));
  const auto lines = unreadable_as(nobody_, {key, inside});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("mode 0600"), std::string::npos) << "the bits explain a refusal: " << lines[0];
  EXPECT_EQ(lines[1].rfind(inside + ": not readable by user nobody", 0), 0u) << lines[1];
}

TEST_F(ReadAccess, ConfigurationsThatCannotBeChecked) {
  auto lines = access_warnings(config::load_string("[sign\n", "broken.toml"), "");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("cannot check which files daemon.user can read"), std::string::npos) << lines[0];
  lines = access_warnings(config::load_string("[daemon]\nuser = \"no-such-user-here\"\n", "x.toml"), "");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("no-such-user-here"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace domainauth::cli
