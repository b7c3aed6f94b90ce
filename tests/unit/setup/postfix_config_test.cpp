// The readers of postconf(1) output: parameters, master.cf services with their
// -o overrides, Postfix lists with { } groups, milter entries, socket paths.
#include <gtest/gtest.h>

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
