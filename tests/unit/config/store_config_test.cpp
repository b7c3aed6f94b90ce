// [store]: the DMARC history settings, their defaults and bad values;
// [report] relay.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace domainauth::config {
namespace {

TEST(StoreConfig, DefaultsToSqliteInTheStateDirectory) {
  const auto c = defaults();
  EXPECT_EQ(c.store.backend, store::Backend::sqlite);
  EXPECT_EQ(c.store.sqlite_path, "/var/lib/domainauth/history.sqlite");
  EXPECT_EQ(c.store.postgresql, "");
  EXPECT_EQ(c.store.queue_limit, 10000u);
}

TEST(StoreConfig, EveryKeySet) {
  const auto result = load_string(R"(
[store]
backend = "postgresql"
sqlite_path = "/srv/h.sqlite"
postgresql = "host=127.0.0.1 dbname=dmarc"
queue_limit = 50
)",
                                  "s.toml");
  ASSERT_TRUE(result.config) << (result.errors.empty() ? "" : result.errors[0]);
  EXPECT_EQ(result.config->store.backend, store::Backend::postgresql);
  EXPECT_EQ(result.config->store.sqlite_path, "/srv/h.sqlite");
  EXPECT_EQ(result.config->store.postgresql, "host=127.0.0.1 dbname=dmarc");
  EXPECT_EQ(result.config->store.queue_limit, 50u);
  EXPECT_EQ(load_string("[store]\nbackend = \"none\"\n", "n.toml").config->store.backend, store::Backend::none);
}

TEST(StoreConfig, BadValuesNameFileLineAndKey) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"[store]\nbackend = \"mysql\"\n", "s.toml:2: store.backend: must be"},
      {"[store]\nsqlite_path = \"\"\n", "s.toml:2: store.sqlite_path: must name a file"},
      {"[store]\nqueue_limit = -1\n", "s.toml:2: store.queue_limit:"},
  };
  for (const auto& c : cases) {
    const auto result = load_string(c.text, "s.toml");
    ASSERT_EQ(result.errors.size(), 1u) << c.text;
    EXPECT_EQ(result.errors[0].rfind(c.error, 0), 0u) << result.errors[0];
  }
}

TEST(ReportConfig, RelayDefaultsToLocalhostPort25) {
  const auto c = defaults();
  EXPECT_EQ(c.report.relay.host, "localhost");
  EXPECT_EQ(c.report.relay.port, 25);
}

TEST(ReportConfig, RelayHostPortAndBracketedIpv6) {
  struct Case {
    const char* value;
    const char* host;
    std::uint16_t port;
  } cases[] = {{"127.0.0.1:2526", "127.0.0.1", 2526}, {"[::1]:25", "::1", 25}, {"relay.example.net:587", "relay.example.net", 587}};
  for (const auto& c : cases) {
    const auto result = load_string(std::string("[report]\nrelay = \"") + c.value + "\"\n", "r.toml");
    ASSERT_TRUE(result.config) << c.value << ": " << (result.errors.empty() ? "" : result.errors[0]);
    EXPECT_EQ(result.config->report.relay.host, c.host);
    EXPECT_EQ(result.config->report.relay.port, c.port);
  }
}

TEST(ReportConfig, FormatRfc9990ByDefaultOrRfc7489) {
  EXPECT_EQ(defaults().report.format, report::Format::rfc9990);
  const auto old = load_string("[report]\nformat = \"rfc7489\"\n", "f.toml");
  ASSERT_TRUE(old.config);
  EXPECT_EQ(old.config->report.format, report::Format::rfc7489);
  const auto bad = load_string("[report]\nformat = \"afrf\"\n", "f.toml");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].rfind("f.toml:2: report.format: must be", 0), 0u) << bad.errors[0];
}

TEST(ReportConfig, RelayWithoutValidPortIsAnError) {
  for (const char* value : {"localhost", "localhost:0", "localhost:65536", ":25", "[::1]"}) {
    const auto result = load_string(std::string("[report]\nrelay = \"") + value + "\"\n", "r.toml");
    ASSERT_EQ(result.errors.size(), 1u) << value;
    EXPECT_EQ(result.errors[0].rfind("r.toml:2: report.relay: expected host:port", 0), 0u) << result.errors[0];
  }
}

}  // namespace
}  // namespace domainauth::config
