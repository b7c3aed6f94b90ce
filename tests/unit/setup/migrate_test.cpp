// migrate() over the seed setup (../shared/seed-setup): the result loads through
// the real configuration loader and keeps the OpenDKIM tables' keys; what
// cannot be mapped is listed with a reason.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml.hpp>

#include "cli/read_access.hpp"
#include "config/config.hpp"
#include "setup/config_file.hpp"
#include "setup/migrate.hpp"

namespace domainauth::setup {
namespace {

std::string seed(const std::string& name) {
  return read_text_file(std::string(DOMAINAUTH_SEED_SETUP) + "/" + name).value_or("");
}

void write(const std::filesystem::path& path, const std::string& text, std::filesystem::perms perms) {
  std::ofstream(path) << text;
  std::filesystem::permissions(path, perms);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

class MigrateSeed : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("domainauth-migrate-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "keys");
    // The seed's tables as they are, with its FreeBSD key folder moved here.
    write(dir_ / "KeyTable", replace_all(seed("KeyTable"), "/var/db/dkim", (dir_ / "keys").string()),
          std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    write(dir_ / "SigningTable", seed("SigningTable"), std::filesystem::perms::owner_all);
    write(dir_ / "TrustedHosts", seed("TrustedHosts"), std::filesystem::perms::owner_all);
    for (const char* selector : {"20230319", "20230320"}) {
      std::string error;
      auto key = dkim::PrivateKey::generate(dkim::KeyType::rsa, 1024, &error);
      write(dir_ / "keys" / (std::string(selector) + ".private"), key->to_pem(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    MigrateOptions options;
    options.opendkim_text = seed("opendkim.conf");
    ASSERT_FALSE(options.opendkim_text.empty()) << "seed setup not found at " << DOMAINAUTH_SEED_SETUP;
    options.opendmarc_text = seed("opendmarc.conf");
    options.path_map = {{"/usr/local/etc/mail/opendkim", dir_.string()}};
    migration_ = migrate(options);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  bool not_migrated(const std::string& setting) const {
    for (const auto& n : migration_.not_migrated) {
      if (n.setting == setting && !n.why.empty()) return true;
    }
    return false;
  }

  std::filesystem::path dir_;
  Migration migration_;
};

TEST_F(MigrateSeed, LoadsThroughTheConfigLoader) {
  ASSERT_TRUE(migration_.error.empty()) << migration_.error;
  auto loaded = config::load_string(migration_.toml, "migrated.toml");
  ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors.front()) << "\n" << migration_.toml;
  const auto& c = *loaded.config;
  EXPECT_EQ(c.sign.keys.size(), 2u);
  EXPECT_TRUE(c.sign.tables.refile);
  EXPECT_TRUE(c.sign.multiple_signatures);
  EXPECT_TRUE(c.sign.subdomains);
  EXPECT_EQ(c.sign.header_canon, mail::Canonicalization::simple);
  EXPECT_EQ(c.sign.body_canon, mail::Canonicalization::simple);
  EXPECT_EQ(c.milter.listen, std::vector<std::string>{"local:/var/run/milteropendkim/socket"});
  EXPECT_EQ(c.milter.socket_mode, 0770u);
  EXPECT_EQ(c.daemon.user, "mailnull");
  EXPECT_EQ(migration_.daemon_user, "mailnull");  // whose group may read the written file
  EXPECT_EQ(c.daemon.log, config::LogTarget::syslog);
  // The seed's signing: example.com with 20230319, example.jp with 20230320; as
  // in OpenDKIM, SubDomains does not reach the SigningTable's anchored patterns.
  auto keys = c.sign.keys_for("alice@example.jp");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys.front()->selector, "20230320");
  EXPECT_TRUE(c.sign.keys_for("bob@sub.example.com").empty());
  EXPECT_NE(migration_.toml.find("SigningTable alone decides"), std::string::npos);
  EXPECT_TRUE(c.sign.internal_hosts.contains(*net::IpAddress::parse("127.0.0.1")));
}

TEST_F(MigrateSeed, ListsWhatCannotBeMappedWithReasons) {
  for (const char* setting : {"AutoRestart", "Selector"}) {
    EXPECT_TRUE(not_migrated(setting)) << setting;
  }
  EXPECT_NE(migration_.toml.find("# Not migrated (and why):"), std::string::npos);
  EXPECT_NE(migration_.toml.find("AutoRestart"), std::string::npos);
}

// OpenDKIM's SendReports / ReportAddress: DKIM failure reports (RFC 6651), From as ReportAddress.
TEST_F(MigrateSeed, MapsDkimFailureReports) {
  for (const char* setting : {"SendReports", "ReportAddress"}) EXPECT_FALSE(not_migrated(setting)) << setting;
  const auto loaded = config::load_string(migration_.toml, "migrated.toml");
  ASSERT_TRUE(loaded.config) << loaded.errors.at(0) << "\n" << migration_.toml;
  EXPECT_TRUE(loaded.config->failure_reports.dkim);
  EXPECT_EQ(loaded.config->failure_reports.dkim_sent_by, "\"DKIM Error Postmaster\" <postmaster@example.jp>");
  EXPECT_EQ(loaded.config->failure_reports.sent_by, "postmaster@example.com");  // OpenDMARC's, apart
}

TEST_F(MigrateSeed, MapsBuiltInBehaviourAndTheSecondSocket) {
  std::string all;
  for (const auto& line : migration_.mapped) all += line + "\n";
  for (const char* setting : {"Mode sv", "SPFSelfValidate true", "IgnoreAuthenticatedClients true", "AuthservID HOSTNAME"}) {
    EXPECT_NE(all.find(setting), std::string::npos) << setting;
  }
  EXPECT_TRUE(not_migrated("Socket"));  // OpenDMARC's: one milter now
}

// OpenDMARC's failure report and skip settings of the seed map to declared keys.
TEST_F(MigrateSeed, MapsFailureReportsAndIgnoreMailFrom) {
  for (const char* setting : {"FailureReports", "FailureReportsBcc", "FailureReportsSentBy", "IgnoreMailFrom",
                              "IgnoreAuthenticatedClients"}) {
    EXPECT_FALSE(not_migrated(setting)) << setting;
  }
  const auto loaded = config::load_string(migration_.toml, "migrated.toml");
  ASSERT_TRUE(loaded.config) << loaded.errors.at(0) << "\n" << migration_.toml;
  const auto& c = *loaded.config;
  EXPECT_TRUE(c.failure_reports.enabled);
  EXPECT_TRUE(c.failure_reports.redact);
  EXPECT_EQ(c.failure_reports.bcc, std::vector<std::string>{"postmaster@example.com"});
  EXPECT_EQ(c.failure_reports.sent_by, "postmaster@example.com");
  EXPECT_EQ(c.dmarc.ignore_mail_from, (std::vector<std::string>{"example.com", "example.jp"}));
  EXPECT_TRUE(c.dmarc.ignore_authenticated_clients);
}

// migrate leaves OpenDKIM's keys where and as they are: a key file daemon.user
// could not read is named in a warning by the cli's check of the migrated
// configuration (the fixture's keys are 0600 root's; the tests run as root),
// one the user owns is not.
TEST_F(MigrateSeed, WarnsAboutKeyFilesTheDaemonUserCannotRead) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root to hand a key to another user";
  // The seed's mailnull does not exist here: nothing can be checked, and that is said.
  const auto access_warnings = [](const Migration& m, const std::string& path) {
    return cli::access_warnings(config::load_string(m.toml, "migrated.toml"), path);
  };
  auto warnings = access_warnings(migration_, "");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("mailnull"), std::string::npos) << warnings[0];
  MigrateOptions options;
  options.opendkim_text = replace_all(seed("opendkim.conf"), "UserID mailnull", "UserID nobody");
  options.path_map = {{"/usr/local/etc/mail/opendkim", dir_.string()}};
  const auto m = migrate(options);
  ASSERT_EQ(m.daemon_user, "nobody");
  // The test folder is searchable by everyone; the tables are root's 0600/0700 too.
  std::filesystem::permissions(dir_, std::filesystem::perms(0755));
  std::filesystem::permissions(dir_ / "keys", std::filesystem::perms(0755));
  const auto key = (dir_ / "keys" / "20230319.private").string();
  const auto other_key = (dir_ / "keys" / "20230320.private").string();
  auto has = [](const std::vector<std::string>& lines, const std::string& file) {
    return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.rfind(file + ": not readable by user nobody", 0) == 0; });
  };
  warnings = access_warnings(m, "");
  EXPECT_TRUE(has(warnings, key));
  EXPECT_TRUE(has(warnings, other_key));
  EXPECT_TRUE(has(warnings, (dir_ / "KeyTable").string()));
  ASSERT_EQ(::chown(key.c_str(), 65534, static_cast<gid_t>(-1)), 0);  // nobody
  warnings = access_warnings(m, "");
  EXPECT_FALSE(has(warnings, key));
  EXPECT_TRUE(has(warnings, other_key));
}

// ReportBccAddress copies every DKIM failure report (FailureReportsBcc is
// OpenDMARC's, for DMARC reports); a ReportAddress that names no
// address is listed, not written (the loader would refuse it).
TEST(Migrate, DkimReportSettingsOutsideTheSeed) {
  MigrateOptions options;
  options.opendkim_text = "SendReports no\nReportAddress postmaster\nReportBccAddress audit@example.com\n";
  const auto m = migrate(options);
  const auto loaded = config::load_string(m.toml, "migrated.toml");
  ASSERT_TRUE(loaded.config) << loaded.errors.at(0) << "\n" << m.toml;
  EXPECT_FALSE(loaded.config->failure_reports.dkim);
  EXPECT_TRUE(loaded.config->failure_reports.dkim_sent_by.empty());
  EXPECT_EQ(loaded.config->failure_reports.dkim_bcc, std::vector<std::string>{"audit@example.com"});
  EXPECT_TRUE(loaded.config->failure_reports.bcc.empty());
  ASSERT_EQ(m.not_migrated.size(), 1u);
  EXPECT_EQ(m.not_migrated[0].setting, "ReportAddress");
  EXPECT_EQ(m.not_migrated[0].why, "not one line naming an address");
}

TEST(Migrate, OpenDmarcEnforcementAndReportSwitches) {
  MigrateOptions options;
  options.opendkim_text = "Mode v\n";
  options.opendmarc_text = "RejectFailures true\nFailureReports false\nFailureReportsOnNone false\n"
                           "IgnoreMailFrom Lists.Example\nIgnoreAuthenticatedClients false\n";
  const auto m = migrate(options);
  const auto loaded = config::load_string(m.toml, "m.toml");
  ASSERT_TRUE(loaded.config) << loaded.errors.at(0) << "\n" << m.toml;
  EXPECT_TRUE(loaded.config->dmarc.enforce);
  EXPECT_FALSE(loaded.config->failure_reports.enabled);
  EXPECT_FALSE(loaded.config->dmarc.ignore_authenticated_clients);
  EXPECT_EQ(loaded.config->dmarc.ignore_mail_from, std::vector<std::string>{"lists.example"});
  bool on_none_listed = false;
  for (const auto& n : m.not_migrated) on_none_listed = on_none_listed || n.setting == "FailureReportsOnNone";
  EXPECT_TRUE(on_none_listed);
}

TEST(Migrate, SingleKeyWithoutTablesBecomesASignKey) {
  MigrateOptions options;
  options.opendkim_text = "Domain example.org\nSelector s1\nKeyFile /etc/keys/s1.private\nSocket inet:8891@localhost\n"
                          "UMask 002\nNameservers 127.0.0.1@5353\n";
  auto m = migrate(options);
  EXPECT_NE(m.toml.find("[[sign.key]]\ndomain = \"example.org\"\nselector = \"s1\""), std::string::npos) << m.toml;
  EXPECT_NE(m.toml.find("servers = [\"127.0.0.1:5353\"]"), std::string::npos) << m.toml;
  EXPECT_NE(m.toml.find("listen = [\"inet:8891@localhost\"]"), std::string::npos) << m.toml;
  bool umask_skipped = false;
  for (const auto& n : m.not_migrated) umask_skipped = umask_skipped || n.setting == "UMask";
  EXPECT_TRUE(umask_skipped);  // an inet: socket has no permissions
}

// KeyTable / SigningTable are read from a file: an empty value or an inline
// csl: list is listed, not guessed at. Found by fuzz_setup_migrate (empty value).
TEST(Migrate, TablesThatAreNotOneFileAreListed) {
  for (const std::string value : {"", "csl:k1=example.com:s:/k", "db:/etc/keys.db"}) {
    MigrateOptions options;
    options.opendkim_text = "KeyTable " + value + "\nSigningTable refile:/etc/opendkim/SigningTable\n";
    auto m = migrate(options);
    bool listed = false;
    for (const auto& n : m.not_migrated) listed = listed || n.setting == "KeyTable";
    EXPECT_TRUE(listed) << value << "\n" << m.toml;
    EXPECT_EQ(m.toml.find("keytable ="), std::string::npos) << m.toml;
    EXPECT_NE(m.toml.find("signingtable = \"refile:/etc/opendkim/SigningTable\""), std::string::npos) << m.toml;
  }
}

// TOML files are UTF-8 (TOML 1.0 "Spec"): a value that is not cannot be
// written, and the comment listing it shows the bytes escaped. Found by fuzz_setup_migrate.
TEST(Migrate, ValuesThatAreNotUtf8AreListedNotWritten) {
  MigrateOptions options;
  options.opendkim_text = "InternalHosts refile:/etc/\xff\xd1/hosts\nMode sv\nReportAddress a\x01" "b\n";
  auto m = migrate(options);
  EXPECT_TRUE(m.error.empty()) << m.error;
  bool listed = false;
  for (const auto& n : m.not_migrated) listed = listed || (n.setting == "InternalHosts" && n.why.find("UTF-8") != std::string::npos);
  EXPECT_TRUE(listed) << m.toml;
  EXPECT_EQ(m.toml.find("internal_hosts"), std::string::npos) << m.toml;
  EXPECT_NE(m.toml.find("/etc/\\xff\\xd1/hosts"), std::string::npos) << m.toml;
  EXPECT_NE(m.toml.find("a\\x01b"), std::string::npos) << m.toml;
  std::istringstream text(m.toml);
  EXPECT_NO_THROW((void)toml::parse(text, "migrated.toml")) << m.toml;
}

}  // namespace
}  // namespace domainauth::setup
