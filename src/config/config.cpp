// Loads domainauth.toml (toml11) against the declared key table below. The
// file is administrator input: every value is checked, unknown keys and tables
// are errors, and errors carry file:line:key.
#include "config/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <toml.hpp>

#include "config/key_table.hpp"
#include "config/paths.hpp"
#include "config/toml_precheck.hpp"
#include "dns/config.hpp"

namespace domainauth::config {

namespace detail {

std::string toml_default(std::string_view plain) { return "\"" + std::string(plain) + "\""; }

std::string_view type_name(Type type) {
  switch (type) {
    case Type::boolean: return "bool";
    case Type::integer: return "integer";
    case Type::seconds: return "seconds";
    case Type::string: return "string";
    case Type::string_list: return "list of strings";
    case Type::table_list: return "list of tables ([[...]])";
  }
  return "unknown";
}

bool has_type(const toml::value& value, Type type) {
  auto all = [&value](auto pred) {
    return value.is_array() && std::all_of(value.as_array().begin(), value.as_array().end(), pred);
  };
  switch (type) {
    case Type::boolean: return value.is_boolean();
    case Type::integer: return value.is_integer();
    case Type::seconds: return value.is_integer() || value.is_floating();
    case Type::string: return value.is_string();
    case Type::string_list: return all([](const toml::value& item) { return item.is_string(); });
    case Type::table_list: return all([](const toml::value& item) { return item.is_table(); });
  }
  return false;
}

std::vector<std::string> strings(const toml::value& value) {
  std::vector<std::string> out;
  for (const auto& item : value.as_array()) out.push_back(item.as_string().str);
  return out;
}

std::optional<std::string> to_listen(const toml::value& value, std::string_view what,
                                     std::vector<net::ListenAddress>& out) {
  out.clear();
  for (const auto& text : strings(value)) {
    std::string error;
    auto address = net::ListenAddress::parse(text, error);
    if (!address) return "\"" + text + "\" is not " + std::string(what) + ": " + error;
    if (address->kind == net::ListenAddress::Kind::inet && !address->ip()) {
      return "\"" + text + "\" is not " + std::string(what) + ": HOST must be an IP address or localhost";
    }
    out.push_back(std::move(*address));
  }
  return std::nullopt;
}

std::optional<std::string> to_duration(const toml::value& value, std::chrono::milliseconds& out) {
  const double seconds = value.is_integer() ? static_cast<double>(value.as_integer()) : value.as_floating();
  if (!(seconds > 0 && seconds <= kMaxSeconds)) return "must be more than 0 and at most 86400 seconds";
  out = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  return std::nullopt;
}

std::optional<std::string> to_count(const toml::value& value, std::int64_t max, std::size_t& out) {
  const auto n = value.as_integer();
  if (n < 1 || n > max) return "must be between 1 and " + std::to_string(max);
  out = static_cast<std::size_t>(n);
  return std::nullopt;
}

std::optional<std::string> to_mode(const toml::value& value, unsigned& out) {
  const auto& text = value.as_string().str;
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos) {
    return "must be octal permission bits such as \"0660\"";
  }
  out = static_cast<unsigned>(std::stoul(text, nullptr, 8));
  return std::nullopt;
}

namespace {

constexpr std::int64_t kMaxCacheSize = 10'000'000;
constexpr std::int64_t kMaxConnections = 1'000'000;

template <bool Helo, spf::Result R>
std::optional<std::string> apply_action(Config& config, const toml::value& value) {
  const auto verdict = spf::parse_verdict(value.as_string().str);
  if (!verdict) return "must be \"accept\", \"reject\" or \"defer\"";
  (Helo ? config.spf.policy.helo : config.spf.policy.mail_from).set(R, *verdict);
  return std::nullopt;
}

#define DOMAINAUTH_SPF_ACTIONS(identity, helo, doc_identity)                                              \
  Key{"spf." identity ".pass", Type::string, "\"accept\"", "verdict for " doc_identity " pass",            \
      apply_action<helo, spf::Result::pass>},                                                              \
      Key{"spf." identity ".fail", Type::string, "\"reject\"", "verdict for " doc_identity " fail",        \
          apply_action<helo, spf::Result::fail>},                                                          \
      Key{"spf." identity ".softfail", Type::string, "\"accept\"",                                         \
          "verdict for " doc_identity " softfail", apply_action<helo, spf::Result::softfail>},             \
      Key{"spf." identity ".neutral", Type::string, "\"accept\"", "verdict for " doc_identity " neutral",  \
          apply_action<helo, spf::Result::neutral>},                                                       \
      Key{"spf." identity ".none", Type::string, "\"accept\"", "verdict for " doc_identity " none",        \
          apply_action<helo, spf::Result::none>},                                                          \
      Key{"spf." identity ".temperror", Type::string, "\"defer\"",                                         \
          "verdict for " doc_identity " temperror (\"defer\": 451 4.4.3)",                                 \
          apply_action<helo, spf::Result::temperror>},                                                     \
      Key{"spf." identity ".permerror", Type::string, "\"accept\"",                                        \
          "verdict for " doc_identity " permerror (\"reject\": 550 5.7.24)",                               \
          apply_action<helo, spf::Result::permerror>}

const std::string kDefaultUser = toml_default(paths().daemon_user);

const std::array kKeys = {
    Key{"dns.servers", Type::string_list, "[]",
        "DNS servers \"HOST[:PORT]\" (IP addresses) that get every query, the next one when one does not answer; "
        "empty: the system resolv.conf",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.dns.servers = strings(v);
          for (const auto& server : c.dns.servers) {
            std::string error;
            if (!dns::parse_server(server, error)) return error;
          }
          return std::nullopt;
        }},
    Key{"dns.timeout", Type::seconds, "5", "seconds before one DNS query counts as timed out (it is sent again every quarter of it)",
        [](Config& c, const toml::value& v) { return to_duration(v, c.dns.timeout); }},
    Key{"policy.listen", Type::string_list, "[\"inet:127.0.0.1:10023\"]",
        "Postfix policy service listeners: \"inet:HOST:PORT\" (HOST an IP address or localhost), "
        "\"inet:PORT@HOST\", \"unix:PATH\" or \"local:PATH\"",
        [](Config& c, const toml::value& v) { return to_listen(v, "a policy socket", c.policy.listen); }},
    Key{"policy.socket_mode", Type::string, "\"0666\"",
        "permission bits (octal) of unix: listener sockets; Postfix's smtpd must be able to connect",
        [](Config& c, const toml::value& v) { return to_mode(v, c.policy.socket_mode); }},
    Key{"policy.idle_timeout", Type::seconds, "600",
        "seconds a connection may wait between requests (Postfix keeps its side up to 300)",
        [](Config& c, const toml::value& v) { return to_duration(v, c.policy.idle_timeout); }},
    Key{"policy.request_timeout", Type::seconds, "30",
        "seconds a client may take to send one request once it has begun it",
        [](Config& c, const toml::value& v) { return to_duration(v, c.policy.request_timeout); }},
    Key{"policy.cache_size", Type::integer, "10000",
        "SMTP transactions (Postfix instance ids) whose answer is kept for their further recipients",
        [](Config& c, const toml::value& v) { return to_count(v, kMaxCacheSize, c.policy.cache_size); }},
    Key{"policy.max_connections", Type::integer, "1000",
        "concurrent policy connections; one more is closed at once and logged (Postfix defers that request)",
        [](Config& c, const toml::value& v) { return to_count(v, kMaxConnections, c.policy.max_connections); }},
    DOMAINAUTH_SPF_ACTIONS("helo", true, "the HELO identity"),
    DOMAINAUTH_SPF_ACTIONS("mail_from", false, "the MAIL FROM identity"),
    Key{"spf.skip_addresses", Type::string_list, "[\"127.0.0.0/8\", \"::1\"]",
        "client addresses or networks (CIDR) not checked at all",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.spf.skip_addresses.clear();
          for (const auto& text : strings(v)) {
            auto network = net::Network::parse(text);
            if (!network) return "\"" + text + "\" is not an IP address or network";
            c.spf.skip_addresses.push_back(*network);
          }
          return std::nullopt;
        }},
    Key{"spf.skip_authenticated", Type::boolean, "true", "do not check SASL-authenticated clients",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.spf.skip_authenticated = v.as_boolean();
          return std::nullopt;
        }},
    Key{"spf.received_spf", Type::boolean, "true", "prepend a Received-SPF field to accepted mail",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.spf.received_spf = v.as_boolean();
          return std::nullopt;
        }},
    Key{"spf.receiver", Type::string, "\"\"", "the receiving host's name in Received-SPF and %{r}; empty: the host name",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.spf.receiver = v.as_string().str;
          return std::nullopt;
        }},
    Key{"spf.explanation", Type::string, "\"\"",
        "explanation (SPF macros allowed) of a fail when the record gives none; empty: built in",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.spf.explanation = v.as_string().str;
          return std::nullopt;
        }},
    Key{"daemon.user", Type::string, kDefaultUser, "user to become after binding when started as root; empty: stay",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.daemon.user = v.as_string().str;
          return std::nullopt;
        }},
    Key{"daemon.pid_file", Type::string, "\"\"", "file to write the daemon's process id to; empty: none",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.daemon.pid_file = v.as_string().str;
          return std::nullopt;
        }},
    Key{"daemon.log", Type::string, "\"stderr\"", "\"stderr\" or \"syslog\" (facility mail)",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          const auto& text = v.as_string().str;
          if (text == "stderr") c.daemon.log = LogTarget::stderr_stream;
          else if (text == "syslog") c.daemon.log = LogTarget::syslog;
          else return "must be \"stderr\" or \"syslog\"";
          return std::nullopt;
        }},
    Key{"daemon.log_level", Type::string, "\"info\"", "\"debug\", \"info\", \"warning\" or \"error\"",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          for (auto level : {LogLevel::debug, LogLevel::info, LogLevel::warning, LogLevel::error}) {
            if (v.as_string().str == to_string(level)) {
              c.daemon.log_level = level;
              return std::nullopt;
            }
          }
          return "must be \"debug\", \"info\", \"warning\" or \"error\"";
        }},
};
#undef DOMAINAUTH_SPF_ACTIONS

}  // namespace

std::span<const Key> core_keys() { return kKeys; }

}  // namespace detail

namespace {

using detail::Key;

// Calls f(key) for every declared key, core keys first.
template <typename F>
void for_each_key(F f) {
  for (const auto& key : detail::core_keys()) f(key);
  for (const auto& key : detail::milter_keys()) f(key);
  for (const auto& key : detail::store_keys()) f(key);
  for (const auto& key : detail::dmarc_keys()) f(key);
  for (const auto& key : detail::failure_keys()) f(key);
  for (const auto& key : detail::arc_keys()) f(key);
  for (const auto& key : detail::web_keys()) f(key);
}

const Key* find_key(std::string_view name) {
  const Key* found = nullptr;
  for_each_key([&](const Key& key) {
    if (key.name == name) found = &key;
  });
  return found;
}

bool is_table_prefix(std::string_view path) {
  bool found = false;
  for_each_key([&](const Key& key) {
    found = found || (key.name.size() > path.size() && key.name.substr(0, path.size()) == path &&
                      key.name[path.size()] == '.');
  });
  return found;
}

struct Error {
  std::uint_least32_t line;
  std::string text;
};

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  void walk(const toml::value& table, const std::string& prefix) {
    for (const auto& [name, value] : table.as_table()) {
      const std::string path = prefix.empty() ? name : prefix + "." + name;
      if (value.is_table()) {
        if (is_table_prefix(path)) walk(value, path);
        else error(value, path, "unknown table");
        continue;
      }
      const Key* key = find_key(path);
      if (key == nullptr) {
        error(value, path, "unknown key");
      } else if (!detail::has_type(value, key->type)) {
        error(value, path, "must be a " + std::string(detail::type_name(key->type)));
      } else if (auto problem = key->apply(config_, value)) {
        error(value, path, *problem);
      } else {
        lines_[path] = value.location().line();
      }
    }
  }

  // The second stage, once every key is known: files and keys the sign.* keys name.
  void resolve() {
    if (!errors_.empty()) return;  // a table path may be wrong only because its key was
    const auto sink = [this](std::string_view key, const std::string& what, std::uint_least32_t line) {
      const std::string name(key);
      if (line == 0) line = lines_.count(name) != 0 ? lines_[name] : 0;
      errors_.push_back({line, file_ + ":" + std::to_string(line) + ": " + name + ": " + what});
    };
    detail::resolve_signing(config_.sign, sink);
    detail::resolve_dmarc(config_.dmarc, sink);
    detail::resolve_arc(config_.arc, config_.sign.allow_group_readable_keys, sink);
    detail::resolve_web(config_.web, sink);
  }

  LoadResult finish() {
    std::stable_sort(errors_.begin(), errors_.end(), [](const Error& a, const Error& b) { return a.line < b.line; });
    LoadResult result;
    for (auto& e : errors_) result.errors.push_back(std::move(e.text));
    if (result.errors.empty()) result.config = std::move(config_);
    return result;
  }

  void fail(std::string text) { errors_.push_back({0, std::move(text)}); }
  Config& config() { return config_; }

 private:
  void error(const toml::value& value, const std::string& key, const std::string& what) {
    const auto line = value.location().line();
    errors_.push_back({line, file_ + ":" + std::to_string(line) + ": " + key + ": " + what});
  }

  std::string file_;
  Config config_ = defaults();
  std::vector<Error> errors_;
  std::map<std::string, std::uint_least32_t> lines_;  // key -> line of its value
};

}  // namespace

std::string host_name() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return "localhost";
  return buffer.data();
}

std::vector<KeyInfo> keys() {
  std::vector<KeyInfo> out;
  for_each_key([&](const Key& key) {
    out.push_back({key.name, detail::type_name(key.type), key.default_value, key.doc});
  });
  return out;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "unknown";
}

spf::Options SpfSettings::check_options() const {
  spf::Options options;
  options.receiver = receiver;
  if (!explanation.empty()) options.default_explanation = explanation;
  return options;
}

dkim::VerifyOptions VerifySettings::options() const {
  dkim::VerifyOptions options;
  options.allow_rsa_sha1 = allow_rsa_sha1;
  options.min_rsa_bits = min_key_bits;
  options.max_signatures = max_signatures;
  return options;
}

Config defaults() {
  Config config;
  for_each_key([&](const Key& key) {
    std::istringstream text("v = " + std::string(key.default_value));
    const auto document = toml::parse(text, "defaults");
    // The declared defaults are compile-time text checked by the unit tests.
    (void)key.apply(config, toml::find(document, "v"));
  });
  // The default sign.* settings name no file and no key: nothing can fail here.
  detail::resolve_signing(config.sign, [](std::string_view, const std::string&, std::uint_least32_t) {});
  config.spf.receiver = host_name();
  config.milter.authserv_id = host_name();
  return config;
}

LoadResult load_string(std::string_view text, const std::string& file_name) {
  Loader loader(file_name);
  if (auto error = toml_text_error(text)) {
    loader.fail(file_name + ":" + *error);
    return loader.finish();
  }
  try {
    std::istringstream stream{std::string(text)};
    const auto document = toml::parse(stream, file_name);
    loader.walk(document, "");
  } catch (const toml::exception& e) {
    loader.fail(e.what());
  }
  loader.resolve();
  if (loader.config().spf.receiver.empty()) loader.config().spf.receiver = host_name();
  if (loader.config().milter.authserv_id.empty()) loader.config().milter.authserv_id = host_name();
  return loader.finish();
}

LoadResult load_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    LoadResult result;
    result.errors.push_back(path + ": cannot read the file: " + std::strerror(errno));
    return result;
  }
  std::ostringstream text;
  text << file.rdbuf();
  return load_string(text.str(), path);
}

}  // namespace domainauth::config
