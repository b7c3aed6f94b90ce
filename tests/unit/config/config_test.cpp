// domainauth.toml loading: defaults, every declared key's default parses, and
// errors that name file:line:key for unknown keys, wrong types and bad values.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/toml_precheck.hpp"

namespace domainauth::config {
namespace {

TEST(Config, EmptyFileGivesEmbeddedDefaults) {
  const auto result = load_string("", "empty.toml");
  ASSERT_TRUE(result.config) << (result.errors.empty() ? "" : result.errors.front());
  const auto& c = *result.config;
  ASSERT_EQ(c.policy.listen.size(), 1u);
  EXPECT_EQ(c.policy.listen[0].to_string(), "inet:127.0.0.1:10023");
  EXPECT_EQ(c.policy.socket_mode, 0666u);
  EXPECT_TRUE(c.dns.servers.empty());
  EXPECT_EQ(c.dns.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.spf.policy.mail_from[spf::Result::fail], spf::Verdict::reject);
  EXPECT_EQ(c.spf.policy.mail_from[spf::Result::softfail], spf::Verdict::accept);
  EXPECT_EQ(c.spf.policy.helo[spf::Result::temperror], spf::Verdict::defer);
  EXPECT_EQ(c.spf.policy.helo[spf::Result::permerror], spf::Verdict::accept);
  EXPECT_TRUE(c.spf.skip_authenticated);
  EXPECT_TRUE(c.spf.received_spf);
  EXPECT_FALSE(c.spf.receiver.empty());  // the host name
  ASSERT_EQ(c.spf.skip_addresses.size(), 2u);
  EXPECT_EQ(c.daemon.log, LogTarget::stderr_stream);
  EXPECT_EQ(c.daemon.log_level, LogLevel::info);
  EXPECT_GT(c.policy.cache_size, 0u);
}

TEST(Config, EveryKeyIsDocumented) {
  for (const auto& key : keys()) {
    EXPECT_FALSE(key.doc.empty()) << key.name;
    EXPECT_FALSE(key.default_value.empty()) << key.name;
  }
}

TEST(Config, AllSectionsSet) {
  const auto result = load_string(R"(
[dns]
servers = ["127.0.0.1:5353"]
timeout = 1.5

[policy]
listen = ["inet:[::1]:10025", "unix:/run/domainauth/policy"]
socket_mode = "0660"
cache_size = 5

[spf]
skip_addresses = ["192.0.2.0/24", "2001:db8::/32"]
skip_authenticated = false
received_spf = false
receiver = "mx.example.org"
explanation = "see %{d}"
helo.fail = "accept"
mail_from.softfail = "reject"
mail_from.temperror = "accept"

[daemon]
user = "domainauth"
pid_file = "/run/domainauth.pid"
log = "syslog"
log_level = "debug"
)",
                                  "full.toml");
  ASSERT_TRUE(result.config) << result.errors.front();
  const auto& c = *result.config;
  EXPECT_EQ(c.dns.servers, std::vector<std::string>{"127.0.0.1:5353"});
  EXPECT_EQ(c.dns.timeout, std::chrono::milliseconds(1500));
  ASSERT_EQ(c.policy.listen.size(), 2u);
  EXPECT_EQ(c.policy.listen[0].host, "::1");
  EXPECT_EQ(c.policy.listen[0].port, 10025);
  EXPECT_EQ(c.policy.listen[1].kind, net::ListenAddress::Kind::unix_socket);
  EXPECT_EQ(c.policy.listen[1].path, "/run/domainauth/policy");
  EXPECT_EQ(c.policy.socket_mode, 0660u);
  EXPECT_EQ(c.policy.cache_size, 5u);
  EXPECT_EQ(c.spf.skip_addresses.size(), 2u);
  EXPECT_FALSE(c.spf.skip_authenticated);
  EXPECT_FALSE(c.spf.received_spf);
  EXPECT_EQ(c.spf.receiver, "mx.example.org");
  EXPECT_EQ(c.spf.explanation, "see %{d}");
  EXPECT_EQ(c.spf.policy.helo[spf::Result::fail], spf::Verdict::accept);
  EXPECT_EQ(c.spf.policy.mail_from[spf::Result::fail], spf::Verdict::reject);
  EXPECT_EQ(c.spf.policy.mail_from[spf::Result::softfail], spf::Verdict::reject);
  EXPECT_EQ(c.spf.policy.mail_from[spf::Result::temperror], spf::Verdict::accept);
  EXPECT_EQ(c.daemon.user, "domainauth");
  EXPECT_EQ(c.daemon.log, LogTarget::syslog);
  EXPECT_EQ(c.daemon.log_level, LogLevel::debug);
}

struct ErrorCase {
  const char* name;
  const char* text;
  const char* error;  // the complete first error
};
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }


class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, NameFileLineAndKey) {
  const auto& c = GetParam();
  const auto result = load_string(c.text, "d.toml");
  EXPECT_FALSE(result.config);
  ASSERT_FALSE(result.errors.empty());
  EXPECT_EQ(result.errors.front(), c.error);
}

INSTANTIATE_TEST_SUITE_P(
    Validation, ConfigErrors,
    ::testing::Values(
        ErrorCase{"unknown_key", "[policy]\nlisten = []\nlisen = []\n", "d.toml:3: policy.lisen: unknown key"},
        ErrorCase{"unknown_table", "\n[milterr]\nx = 1\n", "d.toml:2: milterr: unknown table"},
        ErrorCase{"unknown_top_level_key", "timeout = 3\n", "d.toml:1: timeout: unknown key"},
        ErrorCase{"wrong_type", "[dns]\ntimeout = \"5\"\n", "d.toml:2: dns.timeout: must be a seconds"},
        ErrorCase{"dns_server_not_an_address", "[dns]\nservers = [\"ns.example\"]\n",
                  "d.toml:2: dns.servers: DNS server \"ns.example\": not an IP address"},
        ErrorCase{"list_of_non_strings", "[dns]\nservers = [1]\n", "d.toml:2: dns.servers: must be a list of strings"},
        ErrorCase{"negative_timeout", "[dns]\ntimeout = -1\n",
                  "d.toml:2: dns.timeout: must be more than 0 and at most 86400 seconds"},
        ErrorCase{"bad_listener", "[policy]\nlisten = [\"tcp:1.2.3.4:5\"]\n",
                  "d.toml:2: policy.listen: \"tcp:1.2.3.4:5\" is not a policy socket: expected inet:HOST:PORT or "
                  "unix:PATH"},
        ErrorCase{"bad_port", "[policy]\nlisten = [\"inet:127.0.0.1:70000\"]\n",
                  "d.toml:2: policy.listen: \"inet:127.0.0.1:70000\" is not a policy socket: port must be a number "
                  "from 1 to 65535"},
        ErrorCase{"host_name", "[policy]\nlisten = [\"inet:mail.example:10023\"]\n",
                  "d.toml:2: policy.listen: \"inet:mail.example:10023\" is not a policy socket: HOST must be an IP "
                  "address or localhost"},
        ErrorCase{"bad_mode", "[policy]\nsocket_mode = \"0999\"\n",
                  "d.toml:2: policy.socket_mode: must be octal permission bits such as \"0660\""},
        ErrorCase{"zero_cache", "[policy]\ncache_size = 0\n",
                  "d.toml:2: policy.cache_size: must be between 1 and 10000000"},
        ErrorCase{"bad_verdict", "[spf.mail_from]\nfail = \"bounce\"\n",
                  "d.toml:2: spf.mail_from.fail: must be \"accept\", \"reject\" or \"defer\""},
        ErrorCase{"unknown_result", "[spf.helo]\nhardfail = \"reject\"\n", "d.toml:2: spf.helo.hardfail: unknown key"},
        ErrorCase{"bad_network", "[spf]\nskip_addresses = [\"10.0.0.0/33\"]\n",
                  "d.toml:2: spf.skip_addresses: \"10.0.0.0/33\" is not an IP address or network"},
        ErrorCase{"bad_log", "[daemon]\nlog = \"file\"\n", "d.toml:2: daemon.log: must be \"stderr\" or \"syslog\""}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Config, SeveralErrorsAllReportedInLineOrder) {
  const auto result = load_string("[daemon]\nlog = 1\nlog_level = \"loud\"\nbogus = true\n", "d.toml");
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0].substr(0, 9), "d.toml:2:");
  EXPECT_EQ(result.errors[1].substr(0, 9), "d.toml:3:");
  EXPECT_EQ(result.errors[2], "d.toml:4: daemon.bogus: unknown key");
}

TEST(Config, SyntaxErrorNamesFileAndLine) {
  const auto result = load_string("[dns]\nservers = [\n", "broken.toml");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].find("broken.toml"), std::string::npos) << result.errors[0];
  EXPECT_FALSE(result.config);
}

TEST(Config, MissingFileIsAnError) {
  const auto result = load_file("/nonexistent/domainauth.toml");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0], "/nonexistent/domainauth.toml: cannot read the file: No such file or directory");
}

// toml11 parses nested arrays by recursion: a file nested thousands deep must
// be refused with its line, not overflow the stack (found by fuzz_config_toml).
TEST(Config, DeepNestingIsRefusedWithItsLine) {
  const std::string deep = "[dns]\nservers = []\n\n# [[[[ in a comment\nx = " + std::string(50000, '[') +
                           std::string(50000, ']') + "\n";
  auto result = load_string(deep, "deep.toml");
  ASSERT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].rfind("deep.toml:5: ", 0), 0u) << result.errors[0];
  EXPECT_NE(result.errors[0].find("nested more than 32"), std::string::npos) << result.errors[0];
}

TEST(Config, BracketsInStringsAndCommentsDoNotCount) {
  const std::string text = "[dns]\n# " + std::string(100, '[') + "\nservers = [\"" + std::string(40, '[') +
                           "\", '" + std::string(40, '{') + "', \"\"\"\n" + std::string(40, '[') + "\\\"\"\"\"]\n";
  EXPECT_FALSE(toml_text_error(text)) << *toml_text_error(text);
  EXPECT_TRUE(toml_text_error("a = " + std::string(33, '[') + std::string(33, ']')));
  EXPECT_FALSE(toml_text_error("a = " + std::string(32, '[') + std::string(32, ']')));
}

// A multi-line string may end in one or two quotes of its own ("""a"""" is a");
// the quotes after the closing three must not open a string that hides the
// brackets after it. A line ending in a backslash escape still counts.
TEST(Config, MultiLineStringsEndingInQuotesDoNotHideBrackets) {
  const std::string deep = std::string(33, '[') + std::string(33, ']');
  for (const char* head : {"x = \"\"\"a\"\"\"\"\n", "x = \"\"\"a\"\"\"\"\"\n", "x = '''a''''\n", "x = '''a'''''\n"}) {
    auto error = toml_text_error(std::string(head) + "y = " + deep + "\n");
    ASSERT_TRUE(error) << head;
    EXPECT_EQ(error->rfind("2: ", 0), 0u) << *error;
  }
  auto error = toml_text_error("x = \"\"\"a \\\n b\"\"\"\ny = " + deep + "\n");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->rfind("3: ", 0), 0u) << *error;
}

// toml11 reads past its buffer when it reports invalid UTF-8 inside a string
// (found by fuzz_config_toml): such a file is refused before it parses.
TEST(Config, InvalidUtf8IsRefusedWithItsLine) {
  auto result = load_string("[dns]\nservers = ['127.0.0.1']\nx = [['a\xff\xffz']]\n", "bad.toml");
  ASSERT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0], "bad.toml:3: not UTF-8 (a TOML file must be UTF-8)");
  EXPECT_TRUE(toml_text_error("# caf\xc3\n"));           // cut sequence
  EXPECT_TRUE(toml_text_error("x = \"\xed\xa0\x80\"\n"));  // a surrogate
  EXPECT_FALSE(toml_text_error("x = \"caf\xc3\xa9 \xf0\x9f\x93\xa7\"\n"));
}

}  // namespace
}  // namespace domainauth::config
