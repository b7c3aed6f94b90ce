// OpenDKIM / OpenDMARC configuration -> domainauth.toml (see migrate.hpp).
// opendkim.conf(5) and opendmarc.conf(5): "Name value" lines, "#" comments,
// names case-insensitive; booleans yes/no/true/false/1/0; datasets "file:",
// "refile:", "csl:" or a path.
#include "setup/migrate.hpp"

#include <charconv>
#include <map>
#include <optional>
#include <variant>

#include "config/config.hpp"
#include "setup/config_file.hpp"
#include "text/ascii.hpp"
#include "text/utf8.hpp"

namespace domainauth::setup {
namespace {

using Value = std::variant<std::string, bool, long long, std::vector<std::string>>;

struct Setting {
  std::string file, name, value;  // name lower case
  std::string written;            // the name as written
};

std::vector<Setting> parse_conf(std::string_view text, const std::string& file) {
  std::vector<Setting> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = text::trim_wsp(line);
    if (line.empty()) continue;
    auto space = line.find_first_of(" \t");
    std::string name(line.substr(0, space));
    std::string value(space == std::string_view::npos ? "" : text::trim_wsp(line.substr(space)));
    out.push_back({file, text::to_lower(name), value, name});
  }
  return out;
}

std::optional<bool> parse_bool(const std::string& value) {
  const std::string v = text::to_lower(value);
  if (v == "yes" || v == "true" || v == "1" || v == "on") return true;
  if (v == "no" || v == "false" || v == "0" || v == "off") return false;
  return std::nullopt;
}

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  std::string item;
  for (char c : value + ",") {
    if (c == ',') {
      auto t = text::trim_wsp(item);
      if (!t.empty()) out.emplace_back(t);
      item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

class Migrator {
 public:
  explicit Migrator(const MigrateOptions& options) : options_(options) {}

  Migration run() {
    auto settings = parse_conf(options_.opendkim_text, options_.opendkim_name);
    auto dmarc = parse_conf(options_.opendmarc_text, options_.opendmarc_name);
    settings.insert(settings.end(), dmarc.begin(), dmarc.end());
    for (const auto& s : settings) {
      if (text::is_utf8(s.value)) apply(s);
      else skip(s, "not valid UTF-8: a TOML file cannot hold it");
    }
    finish_single_key();
    return write();
  }

 private:
  std::string path(std::string value) const {
    for (const auto& [from, to] : options_.path_map) {
      if (value.rfind(from, 0) == 0) return to + value.substr(from.size());
    }
    return value;
  }

  // A dataset: "refile:/p" / "file:/p" / "/p" keep their form (paths mapped); "csl:a,b" -> items.
  std::vector<std::string> dataset(const std::string& value) const {
    for (std::string prefix : {"refile:", "file:"}) {
      if (value.rfind(prefix, 0) == 0) return {prefix + path(value.substr(prefix.size()))};
    }
    if (value.rfind("csl:", 0) == 0) return split_list(value.substr(4));
    if (!value.empty() && value.front() == '/') return {path(value)};
    return split_list(value);
  }

  // KeyTable / SigningTable: one file, read as it is.
  void table_file(const Setting& s, const std::string& key) {
    const auto items = dataset(s.value);
    const bool file = items.size() == 1 && (items.front().find(':') == std::string::npos ||
                                            items.front().rfind("refile:", 0) == 0 || items.front().rfind("file:", 0) == 0);
    if (!file) return skip(s, "domainauth reads this table from one file (file:, refile: or a path); copy it into a file");
    set(s, key, items.front());
  }

  void set(const Setting& s, const std::string& key, Value value, const std::string& note = {}) {
    if (values_.count(key)) {
      if (values_[key] != value) skip(s, "already set from an earlier setting to another value");
      else mapped_.push_back(s.file + ": " + original(s) + " -> " + key + " (same value as above)");
      return;
    }
    values_[key] = std::move(value);
    mapped_.push_back(s.file + ": " + original(s) + " -> " + key + (note.empty() ? "" : " (" + note + ")"));
  }
  void builtin(const Setting& s, const std::string& why) {
    mapped_.push_back(s.file + ": " + original(s) + " -> built in: " + why);
  }
  void skip(const Setting& s, const std::string& why) { not_migrated_.push_back({s.file, s.written, s.value, why}); }
  static std::string original(const Setting& s) { return s.written + (s.value.empty() ? "" : " " + s.value); }

  void flag(const Setting& s, const std::string& key) {
    if (auto b = parse_bool(s.value)) set(s, key, *b);
    else skip(s, "not a yes/no value");
  }

  void apply(const Setting& s) {
    const bool dkim = s.file == options_.opendkim_name;
    const std::string& n = s.name;
    if (n == "mode") return mode(s);
    if (n == "canonicalization") return set(s, "sign.canonicalization", text::to_lower(s.value));
    if (n == "keytable") return table_file(s, "sign.keytable");
    if (n == "signingtable") return table_file(s, "sign.signingtable");
    if (n == "internalhosts") return set(s, "sign.internal_hosts", dataset(s.value));
    if (n == "externalignorelist") return set(s, "sign.external_ignore", dataset(s.value));
    if (n == "multiplesignatures") return flag(s, "sign.multiple_signatures");
    // opendkim.c applies SubDomains to its Domain list only; a SigningTable decides for itself.
    if (n == "subdomains") {
      const auto b = parse_bool(s.value);
      if (!b) return skip(s, "not a yes/no value");
      return set(s, "sign.subdomains", *b,
                 *b ? "for [[sign.key]] domains only, as OpenDKIM applies it to its Domain list only: the "
                      "SigningTable alone decides for its keys, so sub.example.com stays unsigned by *@example.com"
                    : "");
    }
    if (n == "oversignheaders") return set(s, "sign.oversign", split_list(s.value));
    if (n == "signheaders") return set(s, "sign.headers", split_list(s.value));
    if (n == "minimumkeybits") return min_key_bits(s);
    if (n == "socket") return socket(s, dkim);
    if (n == "userid") return user(s);
    if (n == "umask") {
      if (dkim) return umask(s);
      return skip(s, "it applied to OpenDMARC's socket, which is no longer needed");
    }
    if (n == "pidfile") {
      if (dkim) return set(s, "daemon.pid_file", path(s.value));
      return skip(s, "one daemon, one PID file: OpenDKIM's PidFile is used");
    }
    if (n == "syslog" || n == "syslogfacility") return syslog(s);
    if (n == "nameservers") return nameservers(s);
    if (n == "authservid") return authserv_id(s);
    if (n == "domain" || n == "selector" || n == "keyfile") return single_key(s);
    if (n == "ignoreauthenticatedclients") return flag(s, "dmarc.ignore_authenticated_clients");
    if (n == "spfselfvalidate") {
      if (parse_bool(s.value).value_or(false)) return builtin(s, "domainauth always evaluates SPF itself");
      return skip(s, "domainauth always evaluates SPF itself; it never reads another SPF filter's result");
    }
    if (n == "autorestart" || n == "autorestartrate" || n == "background")
      return skip(s, "the service manager restarts domainauth (systemd Restart=on-failure or the rc script)");
    if (n == "basedirectory") return skip(s, "domainauth needs no working directory");
    if (n == "syslogsuccess" || n == "logwhy" || n == "logresults")
      return skip(s, "set daemon.log_level = \"debug\" for per-message detail");
    if (n == "sendreports") return flag(s, "failure_reports.dkim");
    if (n == "reportaddress") {
      if (s.value.find('@') == std::string::npos || std::any_of(s.value.begin(), s.value.end(), text::is_control))
        return skip(s, "not one line naming an address");
      return set(s, "failure_reports.dkim_sent_by", s.value);
    }
    if (n == "reportbccaddress")
      return set(s, "failure_reports.dkim_bcc", split_list(s.value));
    if (n == "failurereports") return failure_reports(s);
    if (n == "failurereportsbcc") return set(s, "failure_reports.bcc", split_list(s.value));
    if (n == "failurereportssentby") return set(s, "failure_reports.sent_by", s.value);
    if (n == "failurereportsonnone") {
      if (parse_bool(s.value).value_or(false)) return builtin(s, "failure reports are sent whatever the policy");
      return skip(s, "domainauth sends the failure reports a record's ruf=/fo= ask for whatever its policy, p=none "
                     "included (RFC 9991 makes no exception)");
    }
    // opendmarc.conf(5): "based on the From: domain", case-insensitive; matched exactly (no subdomains).
    if (n == "ignoremailfrom") return set(s, "dmarc.ignore_mail_from", lower_list(s.value));
    if (n == "rejectfailures") return flag(s, "dmarc.enforce");
    if (n == "requiredheaders") return flag(s, "dmarc.required_headers");
    if (n == "historyfile" || n == "reportcommand" || n == "aggregatereport")
      return skip(s, "aggregate report history is not kept by domainauth yet");
    if (n == "spfignoreresults" || n == "trustedauthservids" || n == "publicsuffixlist")
      return skip(s, "no matching domainauth setting (DMARC enforcement and its sources are built in)");
    skip(s, "no domainauth equivalent");
  }

  // FailureReports: OpenDMARC sends its reports unredacted; domainauth redacts by default (RFC 9991 7).
  void failure_reports(const Setting& s) {
    const auto b = parse_bool(s.value);
    if (!b) return skip(s, "not a yes/no value");
    set(s, "failure_reports.enabled", *b,
        *b ? "local-parts are redacted (RFC 6590); failure_reports.redact = false sends them as OpenDMARC did" : "");
  }

  static std::vector<std::string> lower_list(const std::string& value) {
    auto items = split_list(value);
    for (auto& item : items) item = text::to_lower(item);
    return items;
  }

  void mode(const Setting& s) {
    const std::string m = text::to_lower(s.value);
    if (m.find('s') != std::string::npos && m.find('v') != std::string::npos)
      return builtin(s, "domainauth signs mail from internal hosts and verifies the rest");
    if (m.find('s') != std::string::npos)
      return skip(s, "verification cannot be switched off; it only adds Authentication-Results");
    signing_off_ = true;
    skip(s, "verify-only: the signing settings were left out");
  }

  void min_key_bits(const Setting& s) {
    long long bits = 0;
    auto [end, ec] = std::from_chars(s.value.data(), s.value.data() + s.value.size(), bits);
    if (ec != std::errc() || end != s.value.data() + s.value.size()) return skip(s, "not a number");
    set(s, "verify.min_key_bits", bits);
  }

  void socket(const Setting& s, bool dkim) {
    if (!dkim) return skip(s, "one milter does DKIM and DMARC: remove this socket from Postfix's smtpd_milters");
    std::string value = s.value;
    if (value.rfind("local:", 0) == 0 || value.rfind("unix:", 0) == 0) {
      auto colon = value.find(':');
      value = value.substr(0, colon + 1) + path(value.substr(colon + 1));
      unix_socket_ = true;
    }
    set(s, "milter.listen", std::vector<std::string>{value});
  }

  void user(const Setting& s) {
    auto colon = s.value.find(':');
    set(s, "daemon.user", s.value.substr(0, colon));
    if (colon != std::string::npos) {
      Setting group = s;
      group.written = "UserID (group part)";
      set(group, "milter.socket_group", s.value.substr(colon + 1), "the group that owns the milter socket");
    }
  }

  void umask(const Setting& s) {
    if (s.value.empty() || s.value.find_first_not_of("01234567") != std::string::npos || s.value.size() > 4)
      return skip(s, "not an octal umask");
    const unsigned mask = static_cast<unsigned>(std::stoul(s.value, nullptr, 8));
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", 0777U & ~mask & 0777U);
    pending_umask_ = s;
    pending_mode_ = mode;
  }

  void syslog(const Setting& s) {
    if (s.name == "syslog" && !parse_bool(s.value).value_or(false)) return skip(s, "logging to stderr is the default");
    if (s.name == "syslogfacility" && text::to_lower(s.value) != "mail")
      return skip(s, "domainauth logs to the mail facility only");
    set(s, "daemon.log", std::string("syslog"), "facility mail");
  }

  void nameservers(const Setting& s) {
    std::vector<std::string> servers;
    for (auto item : split_list(s.value)) {
      if (auto at = item.find('@'); at != std::string::npos) item = item.substr(0, at) + ":" + item.substr(at + 1);
      servers.push_back(item);
    }
    set(s, "dns.servers", servers);
  }

  void authserv_id(const Setting& s) {
    if (s.value == "HOSTNAME") return builtin(s, "milter.authserv_id defaults to the host name");
    set(s, "milter.authserv_id", s.value);
  }

  void single_key(const Setting& s) {
    if (s.name == "domain") single_domains_ = dataset(s.value);
    if (s.name == "selector") single_selector_ = s.value;
    if (s.name == "keyfile") single_key_file_ = path(s.value);
    single_settings_.push_back(s);
  }

  // Domain + Selector + KeyFile sign without tables; with a KeyTable OpenDKIM ignores them.
  void finish_single_key() {
    const bool tables = values_.count("sign.keytable") > 0;
    for (const auto& s : single_settings_) {
      if (tables) skip(s, "OpenDKIM ignores it when a KeyTable is given; the KeyTable's selectors are used");
      else if (single_domains_.empty() || single_selector_.empty() || single_key_file_.empty())
        skip(s, "Domain, Selector and KeyFile only sign together");
      else mapped_.push_back(s.file + ": " + original(s) + " -> [[sign.key]]");
    }
    if (pending_umask_) {
      if (unix_socket_) set(*pending_umask_, "milter.socket_mode", pending_mode_, "socket permissions 0777 & ~UMask");
      else skip(*pending_umask_, "only the permissions of a unix socket depend on it, and the socket is inet:");
    }
  }

  Migration write() {
    Migration m;
    ConfigText c;
    c.comment("domainauth.toml migrated by `domainauth migrate` from " + options_.opendkim_name +
              (options_.opendmarc_text.empty() ? "" : " and " + options_.opendmarc_name) + ".");
    c.comment("Migrated:");
    for (const auto& line : mapped_) c.comment("  " + line);
    if (!not_migrated_.empty()) c.comment("Not migrated (and why):");
    for (const auto& n : not_migrated_)
      c.comment("  " + n.file + ": " + n.setting + (n.value.empty() ? "" : " " + n.value) + " -- " + n.why);
    std::string table;
    for (const auto& [key, value] : values_) {
      if (signing_off_ && key.rfind("sign.", 0) == 0) continue;
      const std::string t = key.substr(0, key.find('.'));
      if (t != table) {
        c.blank();
        c.table(t);
        table = t;
      }
      const std::string name = key.substr(key.find('.') + 1);
      std::visit([&](const auto& v) { c.set(name, v); }, value);
    }
    if (!signing_off_ && values_.count("sign.keytable") == 0 && !single_domains_.empty() && !single_selector_.empty() &&
        !single_key_file_.empty()) {
      for (const auto& domain : single_domains_) {
        c.blank();
        c.sign_key(domain, single_selector_, single_key_file_, "");
      }
    }
    m.toml = c.text();
    m.error = c.error();
    m.mapped = mapped_;
    m.not_migrated = not_migrated_;
    const auto user = values_.find("daemon.user");
    m.daemon_user = user != values_.end() ? std::get<std::string>(user->second) : config::defaults().daemon.user;
    return m;
  }

  const MigrateOptions& options_;
  std::map<std::string, Value> values_;  // sorted by key: tables come out grouped
  std::vector<std::string> mapped_;
  std::vector<NotMigrated> not_migrated_;
  std::vector<Setting> single_settings_;
  std::vector<std::string> single_domains_;
  std::string single_selector_, single_key_file_;
  std::optional<Setting> pending_umask_;
  std::string pending_mode_;
  bool unix_socket_ = false;
  bool signing_off_ = false;
};

}  // namespace

Migration migrate(const MigrateOptions& options) { return Migrator(options).run(); }

}  // namespace domainauth::setup
