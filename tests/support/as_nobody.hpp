// Test fixture: files owned by root in a fresh folder (0755, removed
// afterwards), judged for the user nobody, for the tests of what daemon.user
// can read. Needs root (the test is skipped otherwise); grant_acl() needs
// setfacl (package acl) on a file system with ACLs.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/file_access.hpp"

namespace domainauth::testing {

class AsNobody : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    std::string error;
    const auto nobody = config::find_account("nobody", error);
    if (!nobody) GTEST_SKIP() << error;
    nobody_ = *nobody;
    std::string pattern = (std::filesystem::temp_directory_path() / "as_nobody.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::filesystem::permissions(dir_, std::filesystem::perms(0755));
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  // A file owned by root and group with mode.
  std::string file(const std::filesystem::path& path, unsigned mode, gid_t group = 0) {
    std::ofstream(path) << "x\n";
    EXPECT_EQ(::chown(path.c_str(), 0, group), 0);
    std::filesystem::permissions(path, std::filesystem::perms(mode));
    return path.string();
  }
  // An ACL entry for nobody ("r", "-"); false when setfacl is missing or the file system has no ACLs.
  bool grant_acl(const std::string& permissions, const std::string& path) const {
    const std::string command =
        "setfacl -m u:" + std::to_string(nobody_.uid) + ":" + permissions + " " + path + " 2>/dev/null";
    return std::system(command.c_str()) == 0;
  }

  config::Account nobody_;
  std::filesystem::path dir_;
};

}  // namespace domainauth::testing
