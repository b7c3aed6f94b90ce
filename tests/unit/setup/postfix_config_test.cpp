// The readers of postconf(1) output: parameters, master.cf services with their
// -o overrides, Postfix lists with { } groups, milter entries, socket paths.
#include <gtest/gtest.h>

#include "setup/postfix_config.hpp"

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
}

}  // namespace
}  // namespace domainauth::setup
