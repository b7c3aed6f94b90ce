// [milter], [sign], [verify]: defaults (verify only on inet:127.0.0.1:8891),
// every key set, OpenDKIM tables and host-list files, and start-time errors
// naming file:line:key (unreadable or group-readable key files, tables that do
// not match, bad values).
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "support/temp_dir.hpp"

namespace domainauth::config {
namespace {

using testing::TempDir;

TEST(MilterConfig, DefaultsVerifyOnlyOnPort8891) {
  const auto c = defaults();
  EXPECT_EQ(c.milter.listen, std::vector<std::string>{"inet:127.0.0.1:8891"});
  EXPECT_EQ(c.policy.listen.at(0).to_string(), "inet:127.0.0.1:10023");
  EXPECT_FALSE(c.sign.can_sign());
  EXPECT_FALSE(c.milter.authserv_id.empty());  // the host name
  EXPECT_EQ(c.milter.on_internal_error, FailureAction::tempfail);
  EXPECT_EQ(c.milter.on_dns_error, FailureAction::tempfail);
  EXPECT_FALSE(c.milter.received_spf);
  EXPECT_EQ(c.sign.header_canon, mail::Canonicalization::relaxed);
  EXPECT_EQ(c.sign.body_canon, mail::Canonicalization::relaxed);
  EXPECT_EQ(c.sign.oversign, std::vector<std::string>{"From"});
  EXPECT_TRUE(c.sign.internal_hosts.contains(*net::IpAddress::parse("127.0.0.1")));
  EXPECT_FALSE(c.sign.internal_hosts.contains(*net::IpAddress::parse("127.0.0.2")));
  EXPECT_EQ(c.verify.max_signatures, 10u);
  EXPECT_EQ(c.verify.min_key_bits, 1024u);
  EXPECT_FALSE(c.verify.allow_rsa_sha1);
}

TEST(MilterConfig, SeedTablesAndNativeKeys) {
  TempDir dir;
  const auto com = dir.key("20230319.private");
  const auto jp = dir.key("20230320.private");
  const auto native = dir.key("native.private");
  const auto keytable = dir.write("KeyTable", "20230319._domainkey.example.com example.com:20230319:" + com +
                                                  "\n20230320._domainkey.example.jp example.jp:20230320:" + jp + "\n");
  const auto signingtable = dir.write("SigningTable", "*@example.com 20230319._domainkey.example.com\n"
                                                      "*@example.jp 20230320._domainkey.example.jp\n");
  const auto trusted = dir.write("TrustedHosts", "127.0.0.1\n::1\nmail.example.com\n");
  const auto result = load_string(R"([milter]
listen = ["unix:/run/domainauth/milter", "inet:8891@127.0.0.1"]
socket_mode = "0600"
socket_group = "postfix"
authserv_id = "mx.example.com"
received_spf = true
on_dns_error = "accept"
max_headers = 50
[sign]
keytable = ")" + keytable + R"("
signingtable = "refile:)" + signingtable + R"("
internal_hosts = ["refile:)" + trusted + R"(", "10.0.0.0/8"]
subdomains = true
multiple_signatures = true
canonicalization = "simple/simple"
[[sign.key]]
domain = "example.org"
selector = "native"
key_file = ")" + native + R"("
algorithm = "ed25519-sha256"
[verify]
allow_rsa_sha1 = true
)",
                                  "seed.toml");
  ASSERT_TRUE(result.config) << result.errors.front();
  const auto& c = *result.config;
  EXPECT_EQ(c.milter.listen.size(), 2u);
  EXPECT_EQ(c.milter.socket_mode, 0600u);
  EXPECT_EQ(c.milter.socket_group, "postfix");
  EXPECT_EQ(c.milter.authserv_id, "mx.example.com");
  EXPECT_EQ(c.milter.on_dns_error, FailureAction::accept);
  EXPECT_EQ(c.milter.max_headers, 50u);
  EXPECT_EQ(c.sign.keys.size(), 3u);
  EXPECT_EQ(c.sign.header_canon, mail::Canonicalization::simple);
  EXPECT_TRUE(c.sign.internal_hosts.contains_host("mail.example.com"));
  EXPECT_TRUE(c.sign.internal_hosts.contains(*net::IpAddress::parse("10.1.1.1")));
  EXPECT_TRUE(c.verify.allow_rsa_sha1);
  auto selectors = [&](const char* from) {
    std::string out;
    for (const auto* k : c.sign.keys_for(from)) out += k->domain + "/" + k->selector + " ";
    return out;
  };
  EXPECT_EQ(selectors("a@example.com"), "example.com/20230319 ");
  // SubDomains is OpenDKIM's Domain list's ([[sign.key]]'s), and the seed's
  // refile: pattern *@example.jp is anchored: a subdomain is not signed.
  EXPECT_EQ(selectors("a@sub.example.jp"), "");
  EXPECT_EQ(selectors("a@sub.example.org"), "example.org/native ");
  EXPECT_EQ(selectors("a@example.org"), "example.org/native ");
  EXPECT_EQ(selectors("a@example.net"), "");
}

struct ErrorCase {
  const char* name;
  std::string text;
  std::string error;  // what the first error starts with
};

TEST(MilterConfig, ErrorsNameFileLineAndKey) {
  TempDir dir;
  const auto open_key = dir.key("open.private", 0644);
  const auto good_key = dir.key("good.private");
  const auto keytable = dir.write("KeyTable", "k example.com:s:" + good_key + "\n");
  const auto signingtable = dir.write("SigningTable", "*@example.com other\n");
  const ErrorCase cases[] = {
      {"bad listener", "[milter]\nlisten = [\"tcp:1\"]\n", "e.toml:2: milter.listen: \"tcp:1\" is not a milter socket"},
      {"bad action", "[milter]\non_dns_error = \"reject\"\n",
       "e.toml:2: milter.on_dns_error: must be \"tempfail\" or \"accept\""},
      {"bad canonicalization", "[sign]\ncanonicalization = \"loose\"\n", "e.toml:2: sign.canonicalization: must be"},
      {"group-readable key", "[sign]\n[[sign.key]]\ndomain = \"example.com\"\nselector = \"s\"\nkey_file = \"" +
                                 open_key + "\"\n",
       "e.toml:2: sign.key: " + open_key + ": key file is accessible by group or others"},
      {"missing key file", "\n[[sign.key]]\ndomain = \"example.com\"\nselector = \"s\"\nkey_file = \"/nonexistent\"\n",
       "e.toml:2: sign.key: /nonexistent: cannot read the key file: No such file or directory"},
      {"key entry without selector", "[[sign.key]]\ndomain = \"example.com\"\nkey_file = \"x\"\n",
       "e.toml:1: sign.key: entry 1: domain, selector and key_file are required"},
      {"wrong algorithm", "[[sign.key]]\ndomain = \"d\"\nselector = \"s\"\nkey_file = \"" + good_key +
                              "\"\nalgorithm = \"rsa-sha256\"\n",
       "e.toml:1: sign.key: " + good_key + ": the key is ed25519, not for rsa-sha256"},
      {"keytable without signingtable", "[sign]\nkeytable = \"" + keytable + "\"\n",
       "e.toml:2: sign.keytable: sign.keytable and sign.signingtable go together"},
      {"signing table names an unknown key", "[sign]\nkeytable = \"" + keytable + "\"\nsigningtable = \"refile:" +
                                                 signingtable + "\"\n",
       "e.toml:3: sign.signingtable: " + signingtable + ": *@example.com names key other, not in the KeyTable"},
      {"bad internal host", "[sign]\ninternal_hosts = [\"10.0.0.0/40\"]\n", "e.toml:2: sign.internal_hosts: "},
      {"unreadable host file", "[sign]\ninternal_hosts = [\"/nonexistent/hosts\"]\n",
       "e.toml:2: sign.internal_hosts: /nonexistent/hosts: cannot read: No such file or directory"},
      {"small key bits", "[verify]\nmin_key_bits = 256\n", "e.toml:2: verify.min_key_bits: must be between 512"},
  };
  for (const auto& t : cases) {
    const auto result = load_string(t.text, "e.toml");
    EXPECT_FALSE(result.config) << t.name;
    ASSERT_FALSE(result.errors.empty()) << t.name;
    EXPECT_EQ(result.errors.front().substr(0, t.error.size()), t.error) << t.name << ": " << result.errors.front();
  }
}

TEST(MilterConfig, GroupReadableKeysWhenAllowed) {
  TempDir dir;
  const auto open_key = dir.key("open.private", 0640);
  const auto result = load_string("[sign]\nallow_group_readable_keys = true\n[[sign.key]]\ndomain = \"example.com\"\n"
                                  "selector = \"s\"\nkey_file = \"" + open_key + "\"\n",
                                  "e.toml");
  ASSERT_TRUE(result.config) << result.errors.front();
  EXPECT_TRUE(result.config->sign.can_sign());
}

}  // namespace
}  // namespace domainauth::config
