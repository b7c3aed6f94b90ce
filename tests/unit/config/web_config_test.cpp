// [web]: no HTTP listener by default; addresses in the listen grammar; an
// address beyond loopback refused without web.token, with file:line:key.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace domainauth::config {
namespace {

TEST(WebConfig, OffByDefault) {
  const auto c = defaults();
  EXPECT_TRUE(c.web.listen.empty());
  EXPECT_TRUE(c.web.token.empty());
}

TEST(WebConfig, LoopbackNeedsNoToken) {
  const auto r = load_string("[web]\nlisten = [\"inet:127.0.0.1:8893\", \"inet:8894@[::1]\", \"inet:localhost:8895\", "
                             "\"unix:/run/domainauth/web.sock\"]\n",
                             "w.toml");
  ASSERT_TRUE(r.config) << r.errors.at(0);
  ASSERT_EQ(r.config->web.listen.size(), 4u);
  EXPECT_EQ(r.config->web.listen[0].to_string(), "inet:127.0.0.1:8893");
  EXPECT_EQ(r.config->web.listen[1].port, 8894);
}

TEST(WebConfig, BeyondLoopbackWithoutTokenIsRefused) {
  for (const std::string address : {"inet:192.0.2.1:8893", "inet:8893", "inet:[2001:db8::1]:8893",
                                    "inet:[::ffff:192.0.2.1]:8893"}) {
    const auto r = load_string("[web]\nlisten = [\"" + address + "\"]\n", "w.toml");
    ASSERT_FALSE(r.config) << address;
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("w.toml:2: web.listen:"), std::string::npos) << r.errors[0];
    EXPECT_NE(r.errors[0].find("set web.token"), std::string::npos) << r.errors[0];
  }
}

TEST(WebConfig, BeyondLoopbackWithTokenIsAllowed) {
  const auto r =
      load_string("[web]\nlisten = [\"inet:0.0.0.0:8893\"]\ntoken = \"0123456789abcdef0123\"\n", "w.toml");
  ASSERT_TRUE(r.config) << r.errors.at(0);
  EXPECT_EQ(r.config->web.token, "0123456789abcdef0123");
}

TEST(WebConfig, BadValuesNameTheKey) {
  struct Case {
    std::string text, want;
  };
  for (const auto& c : {Case{"listen = [\"tcp:1\"]", "web.listen: \"tcp:1\" is not a listen address"},
                        Case{"listen = [\"inet:mail.example:80\"]", "HOST must be an IP address or localhost"},
                        Case{"token = \"short\"", "web.token: must be at least 16 characters"},
                        Case{"token = \"0123456789abcdef 0123\"", "web.token: must be printable ASCII"}}) {
    const auto r = load_string("[web]\n" + c.text + "\n", "w.toml");
    ASSERT_FALSE(r.config) << c.text;
    EXPECT_NE(r.errors.at(0).find(c.want), std::string::npos) << r.errors[0];
  }
}

}  // namespace
}  // namespace domainauth::config
