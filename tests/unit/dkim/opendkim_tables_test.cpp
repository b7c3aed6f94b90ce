// Unit tests of the OpenDKIM table readers, over the seed setup's own files.
#include <gtest/gtest.h>

#include "config/opendkim_tables.hpp"
#include "unit/dkim/dkim_test_util.hpp"

namespace domainauth::config {
namespace {

const std::string kSeed = std::string(DOMAINAUTH_TESTSUITES) + "/../seed-setup/";

OpendkimTables seed_tables() {
  std::string error, path;
  bool refile = false;
  OpendkimTables t;
  auto keys = read_table_file(kSeed + "KeyTable", &path, &refile, error);
  auto signing = read_table_file("refile:" + kSeed + "SigningTable", &path, &refile, error);
  EXPECT_TRUE(keys && signing) << error;
  t.keys = *parse_key_table(*keys, "KeyTable", error);
  t.signing = *parse_signing_table(*signing, "SigningTable", error);
  t.refile = refile;
  return t;
}

TEST(OpendkimTables, SeedKeyTable) {
  auto t = seed_tables();
  ASSERT_EQ(t.keys.size(), 2u);
  EXPECT_EQ(t.keys[0].name, "20230319._domainkey.example.com");
  EXPECT_EQ(t.keys[0].domain, "example.com");
  EXPECT_EQ(t.keys[0].selector, "20230319");
  EXPECT_EQ(t.keys[0].key_path, "/var/db/dkim/20230319.private");
  EXPECT_TRUE(t.refile);
}

TEST(OpendkimTables, KeyChoiceByFromDomain) {
  auto t = seed_tables();
  auto k = t.keys_for("Joe@Example.COM");
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].selector, "20230319");
  k = t.keys_for("info@example.jp");
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].selector, "20230320");
  EXPECT_TRUE(t.keys_for("x@example.org").empty());
  EXPECT_TRUE(t.keys_for("x@notexample.com").empty());
}

// opendkim.c: refile: patterns are anchored, and SubDomains is for the Domain
// list ([[sign.key]]) only: a subdomain stays unsigned by *@example.com.
TEST(OpendkimTables, RefilePatternsAreAnchoredAndSubdomainsIsForTheDomainList) {
  auto t = seed_tables();
  EXPECT_TRUE(t.keys_for("a@mail.example.com").empty());
  OpendkimTables native;
  native.keys = t.keys;
  native.signing = {{"example.com", "20230319._domainkey.example.com"}};
  EXPECT_TRUE(native.keys_for("a@mail.example.com").empty());
  native.subdomains = true;
  auto k = native.keys_for("a@mail.example.com");
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].domain, "example.com");
}

// dkimf_apply_signtable's order for a table that is not refile: user@host,
// host, user@.parent, .parent (each parent), user@*, *.
TEST(OpendkimTables, PlainSigningTableLookupOrderIsOpenDkims) {
  std::string error;
  OpendkimTables t;
  t.keys = *parse_key_table("k1 example.com:s1:/k1\nk2 example.com:s2:/k2\nk3 example.com:s3:/k3\n"
                            "k4 example.com:s4:/k4\nk5 example.com:s5:/k5\n",
                            "KeyTable", error);
  t.signing = *parse_signing_table("* k5\nboss@* k4\n.example.com k3\nexample.com k1\nboss@example.com k2\n",
                                   "SigningTable", error);
  EXPECT_EQ(t.keys_for("boss@example.com")[0].selector, "s2");     // user@host before host
  EXPECT_EQ(t.keys_for("other@example.com")[0].selector, "s1");    // host
  EXPECT_EQ(t.keys_for("other@a.example.com")[0].selector, "s3");  // .parent
  EXPECT_EQ(t.keys_for("boss@example.org")[0].selector, "s4");     // user@*
  EXPECT_EQ(t.keys_for("other@example.org")[0].selector, "s5");    // *
  t.multiple_signatures = true;
  const auto all = t.keys_for("boss@a.example.com");
  ASSERT_EQ(all.size(), 3u);  // .example.com, boss@*, *: one key each, in that order
  EXPECT_EQ(all[0].selector, "s3");
  EXPECT_EQ(all[1].selector, "s4");
  EXPECT_EQ(all[2].selector, "s5");
}

TEST(OpendkimTables, MultipleSignaturesAppliesEveryMatch) {
  auto t = seed_tables();
  t.signing.push_back({"*", "20230320._domainkey.example.jp"});
  EXPECT_EQ(t.keys_for("a@example.com").size(), 1u);
  t.multiple_signatures = true;
  auto k = t.keys_for("a@example.com");
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k[1].domain, "example.jp");
}

TEST(OpendkimTables, SeedTrustedHosts) {
  std::string error, path;
  bool refile = false;
  auto text = read_table_file("refile:" + kSeed + "TrustedHosts", &path, &refile, error);
  ASSERT_TRUE(text) << error;
  auto hosts = parse_host_list(*text, "TrustedHosts", error);
  ASSERT_TRUE(hosts) << error;
  EXPECT_TRUE(hosts->contains(*net::IpAddress::parse("127.0.0.1")));
  EXPECT_TRUE(hosts->contains(*net::IpAddress::parse("::1")));
  EXPECT_FALSE(hosts->contains(*net::IpAddress::parse("127.0.0.2")));
  EXPECT_TRUE(hosts->contains_host("MAIL.example.com."));
  EXPECT_FALSE(hosts->contains_host("example.com"));
}

TEST(OpendkimTables, CidrAndNegation) {
  std::string error;
  auto hosts = parse_host_list("# lan\n10.0.0.0/8\n!10.1.2.3\n2001:db8::/32\n", "InternalHosts", error);
  ASSERT_TRUE(hosts) << error;
  EXPECT_TRUE(hosts->contains(*net::IpAddress::parse("10.9.9.9")));
  EXPECT_FALSE(hosts->contains(*net::IpAddress::parse("10.1.2.3")));
  EXPECT_TRUE(hosts->contains(*net::IpAddress::parse("2001:db8::5")));
}

TEST(OpendkimTables, ErrorsNameFileAndLine) {
  std::string error;
  EXPECT_FALSE(parse_key_table("# c\nk1 example.com:s1:/k\nk2 example.com\n", "KeyTable", error));
  EXPECT_EQ(error, "KeyTable:3: expected \"NAME DOMAIN:SELECTOR:KEYFILE\"");
  EXPECT_FALSE(parse_key_table("k1 a:b:c\nk1 a:b:c\n", "KeyTable", error));
  EXPECT_EQ(error, "KeyTable:2: key name k1 appears twice");
  EXPECT_FALSE(parse_signing_table("\n*@example.com\n", "SigningTable", error));
  EXPECT_EQ(error, "SigningTable:2: expected \"PATTERN KEYNAME\"");
  EXPECT_FALSE(parse_host_list("10.0.0.0/99\n", "TrustedHosts", error));
  EXPECT_EQ(error, "TrustedHosts:1: \"10.0.0.0/99\" is not an address, network or host name");
  std::string path;
  bool refile;
  EXPECT_FALSE(read_table_file("refile:/nonexistent/x", &path, &refile, error));
  EXPECT_EQ(error, "/nonexistent/x: cannot read: No such file or directory");
}

}  // namespace
}  // namespace domainauth::config
