// The readers of postconf(1) output: parameters, master.cf services with their
// -o overrides, Postfix lists with { } groups, milter entries, socket paths;
// the lookup tables of domain lists; check_postfix() on chroot and tables.
#include <gtest/gtest.h>

#include "setup/postfix_check.hpp"
#include "setup/postfix_config.hpp"
#include "setup/postfix_tables.hpp"

namespace domainauth::setup {
namespace {

TEST(PostfixConfig, ParametersAndBadLines) {
  std::string error;
  auto p = parse_postconf_parameters("smtpd_milters = inet:127.0.0.1:8891\nsmtp_bind_address =\n", error);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->at("smtpd_milters"), "inet:127.0.0.1:8891");
  EXPECT_EQ(p->at("smtp_bind_address"), "");
  EXPECT_FALSE(parse_postconf_parameters("postconf: fatal: no such file\n", error));
  EXPECT_NE(error.find("not a \"name = value\" line"), std::string::npos);
}

TEST(PostfixConfig, ServicesWithOverrides) {
  std::string error;
  auto s = parse_postconf_services(
      "submission inet  n - y - - smtpd -o smtpd_milters=$mua_milters\n"
      "127.0.0.1:465 inet n - y - - smtpd\n",
      "submission/inet/smtpd_milters =\n127.0.0.1:465/inet/smtpd_milters = inet:[::1]:9\n", error);
  ASSERT_TRUE(s) << error;
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].command, "smtpd");
  EXPECT_EQ((*s)[0].overrides.at("smtpd_milters"), "");
  EXPECT_EQ((*s)[1].overrides.at("smtpd_milters"), "inet:[::1]:9");
  EXPECT_FALSE(parse_postconf_services("smtp inet n\n", "", error));
  EXPECT_FALSE(parse_postconf_services("", "nameonly = x\n", error));
}

TEST(PostfixConfig, ListsEndpointsAndSockets) {
  EXPECT_EQ(split_postfix_list("a, b\tc,,{ x, y }d"), (std::vector<std::string>{"a", "b", "c", "{ x, y }", "d"}));
  EXPECT_EQ(split_postfix_list("{ unclosed, x"), (std::vector<std::string>{"{ unclosed, x"}));
  auto e = parse_postfix_endpoint("{ inet:127.0.0.1:8891, default_action = accept }");
  EXPECT_EQ(e.address, "inet:127.0.0.1:8891");
  EXPECT_EQ(e.settings.at("default_action"), "accept");
  std::string error;
  EXPECT_EQ(postfix_socket("unix:private/policy", "/var/spool/postfix", false, error)->path,
            "/var/spool/postfix/private/policy");
  EXPECT_EQ(postfix_socket("inet:localhost:10023", "/q", true, error)->port, 10023);
  EXPECT_FALSE(postfix_socket("tcp:nonsense", "/q", false, error));
  // master(5): a chrooted daemon reaches absolute paths inside the queue directory.
  EXPECT_EQ(postfix_socket("unix:/run/da/milter", "/var/spool/postfix", true, error)->path,
            "/var/spool/postfix/run/da/milter");
  EXPECT_EQ(postfix_socket("unix:/run/da/milter", "/var/spool/postfix", false, error)->path, "/run/da/milter");
  EXPECT_EQ(split_postfix_list("hash:/x, inline:{ a, b = c } d"),
            (std::vector<std::string>{"hash:/x", "inline:{ a, b = c }", "d"}));
}

TEST(PostfixTables, KindsOfDomainTables) {
  EXPECT_FALSE(is_postfix_table("example.com"));
  EXPECT_TRUE(is_postfix_table("/etc/postfix/domains"));
  auto t = classify_postfix_table("proxy:hash:/etc/postfix/vdomains");
  EXPECT_EQ(t.kind, PostfixTable::Kind::postmap);
  EXPECT_EQ(t.type, "hash");
  EXPECT_EQ(t.path, "/etc/postfix/vdomains");
  EXPECT_EQ(classify_postfix_table("lmdb:/x").kind, PostfixTable::Kind::postmap);
  EXPECT_EQ(classify_postfix_table("texthash:/x").kind, PostfixTable::Kind::text_file);
  EXPECT_EQ(classify_postfix_table("/x").kind, PostfixTable::Kind::list_file);
  EXPECT_EQ(classify_postfix_table("static:OK").kind, PostfixTable::Kind::matches_all);
  EXPECT_EQ(classify_postfix_table("proxy:mysql:/etc/my.cf").kind, PostfixTable::Kind::unlistable);
  EXPECT_EQ(classify_postfix_table("pcre:/x").kind, PostfixTable::Kind::unlistable);
  EXPECT_EQ(classify_postfix_table("hash:").kind, PostfixTable::Kind::unlistable);
  t = classify_postfix_table("inline:{ a.example, b.example = x, { c.example = two words }, d.example=y }");
  EXPECT_EQ(t.kind, PostfixTable::Kind::inline_keys);
  EXPECT_EQ(t.keys, (std::vector<std::string>{"a.example", "b.example", "c.example", "d.example"}));
}

TEST(PostfixTables, Postmap5FileSyntax) {
  EXPECT_EQ(postfix_table_keys("# comment\n  # indented comment\na.example OK\n\tcontinued here\n\r\n"
                               "b.example\tx y\r\nc.example\n"),
            (std::vector<std::string>{"a.example", "b.example", "c.example"}));
  EXPECT_EQ(postfix_list_file_items("a.example, b.example\n# c.example\n d.example\n"),
            (std::vector<std::string>{"a.example", "b.example", "d.example"}));
  EXPECT_TRUE(postfix_table_keys("").empty());
}

}  // namespace
}  // namespace domainauth::setup

namespace domainauth::setup {
namespace {

PostfixConfig chroot_config(const std::string& version, const std::string& column) {
  PostfixConfig config;
  config.parameters = {{"smtpd_milters", "unix:/run/da/milter"}, {"mail_version", version},
                       {"queue_directory", "/var/spool/postfix"}, {"smtp_tls_security_level", "may"}};
  config.services.push_back({"smtp", "inet", "smtpd", {}, {}, column});
  return config;
}

PostfixExpectations listening_on(const std::string& address) {
  std::string error;
  PostfixExpectations expect;
  expect.milter = {*net::ListenAddress::parse(address, error)};
  expect.reachable = [](const net::ListenAddress&) { return true; };
  return expect;
}

// master(5): "-" in the chroot column means y before Postfix 3.0 and n since.
TEST(PostfixCheck, ChrootColumnDecidesWhereAnAbsoluteMilterPathIs) {
  const auto outside = listening_on("unix:/run/da/milter");
  Report old_postfix, current, explicit_y;
  check_postfix(chroot_config("2.11.3", "-"), outside, old_postfix);
  check_postfix(chroot_config("3.7.11", "-"), outside, current);
  check_postfix(chroot_config("3.7.11", "y"), outside, explicit_y);
  const Finding* f = old_postfix.find("postfix.milter_chroot", "smtp/inet");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::error);
  EXPECT_NE(f->message.find("/var/spool/postfix/run/da/milter"), std::string::npos) << f->message;
  EXPECT_EQ(current.find("postfix.milter_chroot"), nullptr);
  EXPECT_EQ(current.find("postfix.smtpd_milters")->severity, Severity::ok);
  ASSERT_NE(explicit_y.find("postfix.milter_chroot", "smtp/inet"), nullptr);
  // domainauth listening inside the queue directory: right for the chrooted smtpd only.
  Report inside;
  check_postfix(chroot_config("3.7.11", "y"), listening_on("unix:/var/spool/postfix/run/da/milter"), inside);
  EXPECT_EQ(inside.find("postfix.milter_chroot"), nullptr);
  Report not_chrooted;
  check_postfix(chroot_config("3.7.11", "n"), listening_on("unix:/var/spool/postfix/run/da/milter"), not_chrooted);
  ASSERT_NE(not_chrooted.find("postfix.milter_chroot", "smtp/inet"), nullptr);
}

TEST(PostfixCheck, DomainsOfListedAndUnreadableTables) {
  PostfixConfig config = chroot_config("3.7.11", "n");
  config.parameters["virtual_mailbox_domains"] = "hash:/etc/postfix/vdomains, texthash:/etc/postfix/broken";
  config.parameters["virtual_alias_domains"] = "ldap:/etc/postfix/ldap.cf";
  ASSERT_EQ(postfix_tables_to_list(config).size(), 2u);
  config.tables["hash:/etc/postfix/vdomains"] = {{"example.com", "other.example", "localhost"}, {}};
  config.tables["texthash:/etc/postfix/broken"] = {{}, "cannot open /etc/postfix/broken: Permission denied"};
  auto expect = listening_on("unix:/run/da/milter");
  expect.signing_domains = {"example.com"};
  Report report;
  check_postfix(config, expect, report);
  EXPECT_EQ(postfix_mail_domains(config), (std::vector<std::string>{"example.com", "other.example"}));
  ASSERT_NE(report.find("postfix.signing_key", "other.example"), nullptr);
  EXPECT_EQ(report.find("postfix.signing_key", "example.com"), nullptr);
  const Finding* unread = report.find("postfix.table_unreadable", "texthash:/etc/postfix/broken");
  ASSERT_NE(unread, nullptr);
  EXPECT_NE(unread->message.find("Permission denied"), std::string::npos) << unread->message;
  const Finding* ldap = report.find("postfix.signing_key_table", "ldap:/etc/postfix/ldap.cf");
  ASSERT_NE(ldap, nullptr);
  EXPECT_EQ(ldap->severity, Severity::info);
}

}  // namespace
}  // namespace domainauth::setup
