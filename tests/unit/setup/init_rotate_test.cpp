// init: records in zone-file form (RFC 1035 3.3.14 strings of <= 255 octets),
// a configuration the real loader accepts, keys never overwritten; rotation:
// new keys, the atomic switch checked by the loader, key/record matching.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "config/config.hpp"
#include "config/file_access.hpp"
#include "config/paths.hpp"
#include "setup/config_file.hpp"
#include "setup/init.hpp"
#include "setup/keys.hpp"
#include "setup/rotate.hpp"

namespace domainauth::setup {
namespace {

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("domainauth-init-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  InitResult init() {
    InitOptions options;
    options.domains = {"example.com", "Example.JP"};
    options.ips = {*net::IpAddress::parse("192.0.2.10")};
    options.out_dir = dir_.string();
    options.admin = "postmaster@example.com";
    return run_init(options);
  }
  std::filesystem::path dir_;
};

TEST(Records, Rfc1035_3_3_14_StringsOfAtMost255Octets) {
  const std::string text(600, 'a');
  auto parts = split_txt(text);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].size(), 255u + 2);
  EXPECT_EQ(parts[2].size(), 90u + 2);
  EXPECT_EQ(split_txt("a\"b")[0], "\"a\\\"b\"");
  EXPECT_EQ(spf_record({}), "v=spf1 mx ~all");
  EXPECT_EQ(dmarc_record("a@example.com"), "v=DMARC1; p=none; rua=mailto:a@example.com");
}

// The spawned policy service's master.cf line names this build's program and user.
TEST(Records, PostfixLinesNameThisBuildsProgramAndUser) {
  const auto lines = postfix_lines("inet:127.0.0.1:8891", "inet:127.0.0.1:10023", "/x/domainauth.toml");
  const std::string expected = "#  user=" + std::string(config::paths().daemon_user) + " argv=" +
                               std::string(config::paths().program) + " policy --config /x/domainauth.toml\n";
  EXPECT_NE(lines.master_cf.find(expected), std::string::npos) << lines.master_cf;
}

TEST_F(TempDir, InitWritesKeysRecordsAndALoadableConfig) {
  auto r = init();
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.keys_created.size(), 4u);
  auto loaded = config::load_file(r.config_path);
  ASSERT_TRUE(loaded.config) << loaded.errors.front();
  EXPECT_EQ(loaded.config->sign.keys.size(), 4u);
  EXPECT_TRUE(loaded.config->sign.multiple_signatures);
  EXPECT_EQ(loaded.config->sign.keys_for("a@example.jp").size(), 2u);
  EXPECT_NE(r.zone.find("example.com.\t3600\tIN\tTXT\t\"v=spf1 ip4:192.0.2.10 ~all\""), std::string::npos) << r.zone;
  EXPECT_NE(r.zone.find("_dmarc.example.jp.\t3600\tIN\tTXT\t\"v=DMARC1; p=none; rua=mailto:postmaster@example.com\""),
            std::string::npos);
  EXPECT_NE(r.zone.find("example.jp._report._dmarc.example.com."), std::string::npos);
  EXPECT_NE(r.postfix.main_cf.find("smtpd_milters = inet:127.0.0.1:8891"), std::string::npos);
  EXPECT_EQ(std::filesystem::status(r.keys_created.front()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// --request-reports: the signatures ask for RFC 6651 reports (r=y) and each
// domain's reporting record names the admin's local-part.
TEST_F(TempDir, InitRequestingReportsPrintsTheReportingRecord) {
  EXPECT_EQ(init().zone.find("_report._domainkey"), std::string::npos);
  std::filesystem::remove_all(dir_);
  InitOptions options;
  options.domains = {"example.com"};
  options.out_dir = dir_.string();
  options.admin = "dkim.reports@example.org";
  options.request_reports = true;
  auto r = run_init(options);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_NE(r.zone.find("_report._domainkey.example.com.\t3600\tIN\tTXT\t\"ra=dkim.reports; rr=all\""),
            std::string::npos) << r.zone;
  auto loaded = config::load_file(r.config_path);
  ASSERT_TRUE(loaded.config) << loaded.errors.front();
  EXPECT_TRUE(loaded.config->sign.request_reports);
}

// A reload after the privilege drop reads the keys and the configuration as
// daemon.user (init writes none: the default, nobody).
TEST_F(TempDir, InitHandsKeysToTheDaemonUserAndTheConfigurationToItsGroup) {
  std::string error;
  const auto nobody = config::find_account(config::defaults().daemon.user, error);
  if (::geteuid() != 0 || !nobody) GTEST_SKIP() << "needs root and the default daemon.user";
  auto r = init();
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();
  struct stat st {};
  for (const auto& key : r.keys_created) {
    ASSERT_EQ(::stat(key.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, nobody->uid) << key;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
  }
  ASSERT_EQ(::stat(r.config_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, nobody->gid);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_FALSE(config::unreadable_reason(r.config_path, *nobody).has_value());
}

// After the package is installed: its domainauth.toml names daemon.user, whom
// the keys and the configuration go to and whom the new configuration names.
TEST_F(TempDir, InitHandsItsFilesToTheExistingConfigurationsUser) {
  std::string error;
  const auto daemon = config::find_account("daemon", error);
  if (::geteuid() != 0 || !daemon) GTEST_SKIP() << "needs root and the user daemon";
  std::filesystem::create_directories(dir_);
  ASSERT_TRUE(write_new_file((dir_ / "domainauth.toml").string(), "[daemon]\nuser = \"daemon\"\n", 0644, error))
      << error;
  auto r = init();
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();
  EXPECT_EQ(r.daemon_user, "daemon");
  EXPECT_TRUE(r.config_side_file);
  struct stat st {};
  for (const auto& path : {r.keys_created.front(), (dir_ / "keys").string(), (dir_ / "keys/example.com").string()}) {
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_uid, daemon->uid) << path;
    EXPECT_EQ(st.st_gid, daemon->gid) << path;
  }
  ASSERT_EQ(::stat(r.config_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, daemon->gid);
  const auto loaded = config::load_file(r.config_path);
  ASSERT_TRUE(loaded.config) << loaded.errors.front();
  EXPECT_EQ(loaded.config->daemon.user, "daemon");
  EXPECT_EQ(loaded.config->sign.keys.size(), 4u);
}

TEST_F(TempDir, InitWithAnExistingConfigurationThatDoesNotLoadSaysSo) {
  std::filesystem::create_directories(dir_);
  std::string error;
  ASSERT_TRUE(write_new_file((dir_ / "domainauth.toml").string(), "[daemon\n", 0644, error)) << error;
  auto r = init();
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.daemon_user, config::defaults().daemon.user);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.front().find("does not load"), std::string::npos) << r.notes.front();
}

TEST_F(TempDir, HandingToAUserThatDoesNotExistSaysSo) {
  std::filesystem::create_directories(dir_);
  std::string error;
  ASSERT_TRUE(write_new_file((dir_ / "domainauth.toml").string(), "", 0640, error)) << error;
  const auto note = hand_to_daemon_user((dir_ / "domainauth.toml").string(), "mailnull-absent", Reader::group);
  EXPECT_NE(note.find("daemon.user mailnull-absent does not exist"), std::string::npos) << note;
}

TEST_F(TempDir, InitRunTwiceKeepsKeysAndConfig) {
  auto first = init();
  ASSERT_TRUE(first.error.empty());
  const auto pem = read_text_file(first.keys_created.front());
  auto second = init();
  ASSERT_TRUE(second.error.empty()) << second.error;
  EXPECT_TRUE(second.keys_created.empty());
  EXPECT_EQ(second.keys_reused.size(), 4u);
  EXPECT_TRUE(second.config_unchanged);
  EXPECT_EQ(read_text_file(first.keys_created.front()), pem);
}

TEST_F(TempDir, ConfigTextRefusesUndeclaredKeys) {
  ConfigText c;
  c.table("milter");
  c.set("no_such_key", true);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.text().find("no_such_key"), std::string::npos);
}

TEST_F(TempDir, RotationStartsSwitchesAndKeepsTheLoaderHappy) {
  auto r = init();
  ASSERT_TRUE(r.error.empty());
  const std::string text = *read_text_file(r.config_path);
  const auto later = std::chrono::system_clock::now() + std::chrono::hours(24 * 40);
  std::string error;
  auto rotation = start_rotation(text, "example.com", later, error);
  ASSERT_TRUE(rotation) << error;
  ASSERT_EQ(rotation->keys.size(), 2u);
  EXPECT_EQ(rotation->keys[0].new_selector, dated_selector(later, dkim::KeyType::rsa));
  EXPECT_EQ(rotation->keys[1].new_selector, dated_selector(later, dkim::KeyType::ed25519));
  auto switched = switch_config(text, r.config_path, "example.com", *rotation, error);
  ASSERT_TRUE(switched) << error;
  auto loaded = config::load_string(*switched, "switched.toml");
  ASSERT_TRUE(loaded.config);
  std::vector<std::string> selectors;
  for (const auto* k : loaded.config->sign.keys_for("a@example.com")) selectors.push_back(k->selector);
  EXPECT_EQ(selectors, (std::vector<std::string>{rotation->keys[0].new_selector, rotation->keys[1].new_selector}));
  EXPECT_EQ(loaded.config->sign.keys_for("a@example.jp").size(), 2u);  // untouched
  EXPECT_NE(switched->find("# Signing: both keys"), std::string::npos);  // comments survive

  // The state file round trip.
  RotationState state;
  state.domains["example.com"] = *rotation;
  const std::string path = state_path(r.config_path);
  ASSERT_TRUE(save_state(path, state, error)) << error;
  auto back = load_state(path, error);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->domains.at("example.com").keys[1].new_key_file, rotation->keys[1].new_key_file);
}

TEST_F(TempDir, RotationOfAnUnknownDomainIsRefused) {
  auto r = init();
  std::string error;
  EXPECT_FALSE(start_rotation(*read_text_file(r.config_path), "example.org", std::chrono::system_clock::now(), error));
  EXPECT_NE(error.find("no [[sign.key]]"), std::string::npos);
}

TEST(Rotate, RecordMatchesOnlyItsOwnKey) {
  std::string error;
  auto a = *dkim::PrivateKey::generate(dkim::KeyType::ed25519, 0, &error);
  auto b = *dkim::PrivateKey::generate(dkim::KeyType::ed25519, 0, &error);
  EXPECT_TRUE(record_matches_key(a.key_record(), a));
  EXPECT_FALSE(record_matches_key(b.key_record(), a));
  EXPECT_FALSE(record_matches_key("v=DKIM1; p=", a));
}

}  // namespace
}  // namespace domainauth::setup
