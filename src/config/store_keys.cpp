// The declared keys of [store] (where the DMARC history of src/store/ keeps
// one row per evaluated message) and [report] (who reports are from, the relay they are sent through).
#include <array>

#include "config/key_table.hpp"
#include "config/paths.hpp"
#include "net/listen.hpp"

namespace domainauth::config::detail {
namespace {

constexpr std::int64_t kMaxQueueLimit = 10'000'000;

const std::string kDefaultHistory = toml_default(paths().history_file);

const std::array kKeys{
    Key{"store.backend", Type::string, "\"sqlite\"",
        "where the DMARC history is kept: \"sqlite\" (store.sqlite_path), \"postgresql\" (store.postgresql, "
        "so several mail hosts share one history) or \"none\" (no history, no aggregate reports)",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          const auto& text = v.as_string().str;
          if (text == "sqlite") c.store.backend = store::Backend::sqlite;
          else if (text == "postgresql") c.store.backend = store::Backend::postgresql;
          else if (text == "none") c.store.backend = store::Backend::none;
          else return "must be \"sqlite\", \"postgresql\" or \"none\"";
          return std::nullopt;
        }},
    Key{"store.sqlite_path", Type::string, kDefaultHistory,
        "the SQLite history file; its directory must be writable by daemon.user",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.store.sqlite_path = v.as_string().str;
          if (c.store.sqlite_path.empty()) return "must name a file";
          return std::nullopt;
        }},
    Key{"store.postgresql", Type::string, "\"\"",
        "libpq connection string of the PostgreSQL history (\"host=db dbname=domainauth user=domainauth\")",
        [](Config& c, const toml::value& v) {
          c.store.postgresql = v.as_string().str;
          return std::optional<std::string>{};
        }},
    Key{"store.queue_limit", Type::integer, "10000",
        "history rows waiting for the database at most; beyond it rows are dropped (counted and logged), mail "
        "never waits",
        [](Config& c, const toml::value& v) { return to_count(v, kMaxQueueLimit, c.store.queue_limit); }},
    Key{"store.retention_days", Type::integer, "180",
        "history kept, in whole UTC days before today: older days are deleted, with the record of the reports sent "
        "for them, at start, once a day and by `domainauth report expire`; 0 keeps everything",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          const auto days = v.as_integer();
          if (days < 0 || days > store::kMaxRetentionDays) {
            return "must be between 0 and " + std::to_string(store::kMaxRetentionDays) + " (0: keep everything)";
          }
          c.store.retention_days = days;
          return std::nullopt;
        }},
    Key{"report.org_name", Type::string, "\"\"",
        "the reporting organization in aggregate reports (org_name, the file name's receiver); empty: the host name",
        [](Config& c, const toml::value& v) {
          c.report.org_name = v.as_string().str;
          return std::optional<std::string>{};
        }},
    Key{"report.email", Type::string, "\"\"",
        "the contact address in aggregate reports; empty: postmaster@<host name>",
        [](Config& c, const toml::value& v) {
          c.report.email = v.as_string().str;
          return std::optional<std::string>{};
        }},
    Key{"report.format", Type::string, "\"rfc9990\"",
        "the aggregate report document: \"rfc9990\" (namespace urn:ietf:params:xml:ns:dmarc-2.0) or \"rfc7489\" "
        "(RFC 7489 appendix C, no namespace, for report consumers that only read the old format)",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          const auto& text = v.as_string().str;
          if (text == "rfc9990") c.report.format = report::Format::rfc9990;
          else if (text == "rfc7489") c.report.format = report::Format::rfc7489;
          else return "must be \"rfc9990\" or \"rfc7489\"";
          return std::nullopt;
        }},
    Key{"report.relay", Type::string, "\"localhost:25\"",
        "the SMTP relay reports are submitted to: \"host:port\" (\"[::1]:25\" for IPv6); STARTTLS when it offers it "
        "(never on loopback)",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          std::string why;
          auto relay = net::parse_host_port(v.as_string().str, why);
          if (relay && relay->port == 0) why = "port must be a number from 1 to 65535";
          if (!relay || relay->port == 0) return "expected host:port: " + why;
          c.report.relay.host = std::move(relay->host);
          c.report.relay.port = relay->port;
          return std::nullopt;
        }},
};

}  // namespace

std::span<const Key> store_keys() { return kKeys; }

}  // namespace domainauth::config::detail
