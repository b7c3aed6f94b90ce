// [arc]: sealing off by default; with arc.seal the domain, selector and an RSA
// key are required and loaded at start, with errors naming file:line:key.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "support/temp_dir.hpp"

namespace domainauth::config {
namespace {

using testing::TempDir;

std::string arc_section(const std::string& key_file, const std::string& extra = "") {
  return "[arc]\nseal = true\ndomain = \"Forward.Example\"\nselector = \"arc2026\"\nkey = \"" + key_file + "\"\n" +
         extra;
}

TEST(ArcConfig, DefaultsDoNotSeal) {
  const auto c = defaults();
  EXPECT_FALSE(c.arc.seal);
  EXPECT_FALSE(c.arc.key);
}

TEST(ArcConfig, SealLoadsTheRsaKeyAndLowerCasesTheDomain) {
  TempDir dir;
  const auto r = load_string(arc_section(dir.key("arc.private", 0600, dkim::KeyType::rsa)), "a.toml");
  ASSERT_TRUE(r.config) << r.errors.at(0);
  const auto& arc = r.config->arc;
  EXPECT_TRUE(arc.seal);
  EXPECT_EQ(arc.domain, "forward.example");
  EXPECT_EQ(arc.selector, "arc2026");
  ASSERT_TRUE(arc.key);
  EXPECT_EQ(arc.key->type(), dkim::KeyType::rsa);
}

TEST(ArcConfig, KeysWithoutSealAreNotLoaded) {
  const auto r = load_string("[arc]\ndomain = \"forward.example\"\nkey = \"/nonexistent\"\n", "a.toml");
  ASSERT_TRUE(r.config) << r.errors.at(0);
  EXPECT_FALSE(r.config->arc.key);
}

TEST(ArcConfig, SealWithoutDomainSelectorOrKeyNamesEach) {
  const auto r = load_string("[arc]\nseal = true\n", "a.toml");
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0], "a.toml:2: arc.seal: arc.domain must be set too");
  EXPECT_EQ(r.errors[1], "a.toml:2: arc.seal: arc.selector must be set too");
  EXPECT_EQ(r.errors[2], "a.toml:2: arc.seal: arc.key must be set too");
}

TEST(ArcConfig, Ed25519KeyRefused) {
  TempDir dir;
  const auto key = dir.key("arc.private");
  const auto r = load_string(arc_section(key), "a.toml");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.errors.at(0),
            "a.toml:5: arc.key: " + key + ": ARC sets are sealed with rsa-sha256, what ARC verifiers check; use an "
            "RSA key");
}

TEST(ArcConfig, GroupReadableKeyRefusedUnlessAllowed) {
  TempDir dir;
  const auto key = dir.key("arc.private", 0640, dkim::KeyType::rsa);
  const auto refused = load_string(arc_section(key), "a.toml");
  ASSERT_FALSE(refused.config);
  EXPECT_NE(refused.errors.at(0).find("a.toml:5: arc.key: " + key + ": key file is accessible by group or others"),
            std::string::npos)
      << refused.errors.at(0);
  const auto allowed = load_string("[sign]\nallow_group_readable_keys = true\n" + arc_section(key), "a.toml");
  ASSERT_TRUE(allowed.config) << allowed.errors.at(0);
  EXPECT_TRUE(allowed.config->arc.key);
}

}  // namespace
}  // namespace domainauth::config
