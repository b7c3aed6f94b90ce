// check_postfix(): Postfix's wiring of domainauth (see postfix_check.hpp).
#include "setup/postfix_check.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "setup/check_parts.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup {
namespace {

constexpr std::string_view kPolicyCheck = "check_policy_service";

struct Entry {
  PostfixEndpoint endpoint;
  std::optional<net::ListenAddress> socket;  // what Postfix connects to
  bool ours = false;
};

struct Walk {
  const PostfixConfig& config;
  const PostfixExpectations& expect;
  Report& report;
  std::string queue = config.get("queue_directory");
};

bool unspecified(const net::IpAddress& ip) {
  return std::all_of(ip.bytes().begin(), ip.bytes().end(), [](auto b) { return b == 0; });
}

// Whether Postfix connecting to theirs reaches what domainauth binds as ours.
bool serves(const net::ListenAddress& ours, const net::ListenAddress& theirs) {
  if (ours.kind != theirs.kind) return false;
  if (ours.kind == net::ListenAddress::Kind::unix_socket) return ours.path == theirs.path;
  if (ours.port != theirs.port) return false;
  if (text::iequals(ours.host, theirs.host)) return true;
  const auto a = ours.ip(), b = theirs.ip();
  return a && (unspecified(*a) || (b && *a == *b));
}

bool any_serves(const std::vector<net::ListenAddress>& ours, const net::ListenAddress& theirs) {
  return std::any_of(ours.begin(), ours.end(), [&](const auto& o) { return serves(o, theirs); });
}

std::string addresses_of(const std::vector<net::ListenAddress>& list) {
  std::vector<std::string> out;
  for (const auto& a : list) out.push_back(a.to_string());
  return out.empty() ? "none" : detail::join_list(out);
}

// A master.cf spawn(8) service running `domainauth policy` behind a unix socket.
const PostfixService* spawned_policy(const Walk& w, const net::ListenAddress& socket) {
  for (const auto& s : w.config.services) {
    if (s.type != "unix" || s.command != "spawn") continue;
    if (socket.path != w.queue + "/private/" + s.name && socket.path != w.queue + "/public/" + s.name) continue;
    for (std::size_t i = 0; i + 1 < s.arguments.size(); ++i) {
      const std::string& argv = s.arguments[i];
      if ((argv == "argv=domainauth" || (argv.starts_with("argv=") && argv.ends_with("/domainauth"))) &&
          s.arguments[i + 1] == "policy") {
        return &s;
      }
    }
  }
  return nullptr;
}

// Whether a master.cf service runs chrooted in the queue directory. "-" is the
// compiled-in default: y before Postfix 3.0, n since (master(5); Debian's
// master.cf writes y explicitly where it wants it).
bool chrooted(const Walk& w, const PostfixService& s) {
  if (s.chroot == "y") return true;
  if (s.chroot != "-") return false;
  const std::string version = w.config.get("mail_version");
  return version.size() > 1 && version[1] == '.' && version[0] >= '0' && version[0] <= '2';
}

// The services that run a milter list: smtpd(8) services for smtpd_milters,
// cleanup(8) services for non_smtpd_milters (sendmail(1) via pickup, qmqpd,
// postsuper -r), those without their own -o override.
std::vector<const PostfixService*> services_running(const Walk& w, const std::string& command,
                                                    const std::string& parameter) {
  std::vector<const PostfixService*> out;
  for (const auto& s : w.config.services) {
    if (s.command == command && !s.overrides.contains(parameter)) out.push_back(&s);
  }
  return out;
}

// smtpd(8)'s chroot for the policy service: that of the smtp/inet service.
bool smtpd_chrooted(const Walk& w) {
  for (const auto& s : w.config.services) {
    if (s.name == "smtp" && s.type == "inet" && s.command == "smtpd") return chrooted(w, s);
  }
  return false;
}

Entry entry_of(const Walk& w, std::string_view item, const std::vector<net::ListenAddress>& ours, bool chroot) {
  Entry e{parse_postfix_endpoint(item), std::nullopt, false};
  std::string error;
  e.socket = postfix_socket(e.endpoint.address, w.queue, chroot, error);
  e.ours = e.socket && any_serves(ours, *e.socket);
  return e;
}

void probe(Walk& w, const std::string& id, const net::ListenAddress& socket, std::set<std::string>& probed) {
  const std::string where = socket.to_string();
  if (!probed.insert(where).second) return;
  if (w.expect.reachable && w.expect.reachable(socket)) {
    w.report.add(id, Severity::ok, "domainauth accepts connections on " + where, {}, where);
  } else {
    w.report.add(id, Severity::error, "nothing accepts connections on " + where + ", where Postfix expects domainauth",
                 "Start domainauth (systemctl start domainauth) or make Postfix name an address it listens on.", where);
  }
}

void report_default_action(Walk& w, const std::string& action, const std::string& subject) {
  const std::string what = subject + " = " + action;
  if (action == "tempfail") {
    w.report.add("postfix.milter_default_action", Severity::ok, what + ": mail waits while domainauth is down", {},
                 subject);
  } else if (action == "accept" || action == "quarantine") {
    w.report.add("postfix.milter_default_action", Severity::warning,
                 what + ": while domainauth is down or slow, mail " +
                     (action == "accept" ? "passes unsigned and unverified" : "is held unsigned"),
                 subject == "milter_default_action"
                     ? "Set milter_default_action = tempfail so senders retry until domainauth answers."
                     : "Set default_action=tempfail in that entry (or drop it) so senders retry until domainauth answers.",
                 subject);
  } else {
    w.report.add("postfix.milter_default_action", Severity::info,
                 what + ": mail is refused while domainauth is down",
                 "Set " + subject + " = tempfail so senders retry instead of bouncing.", subject);
  }
}

// The entries of a milter list that reach domainauth from a service running chrooted or not.
std::vector<Entry> ours_in(const Walk& w, const std::string& value, bool chroot) {
  std::vector<Entry> out;
  for (const auto& item : split_postfix_list(value)) {
    Entry e = entry_of(w, item, w.expect.milter, chroot);
    if (e.ours) out.push_back(std::move(e));
  }
  return out;
}

std::string fix_milter(const Walk& w) {
  return w.expect.milter.empty() ? std::string("inet:127.0.0.1:8891") : w.expect.milter.front().to_string();
}

// Per service: its chroot setting makes a unix: entry miss domainauth's socket
// that the other setting would reach.
void check_chroot(Walk& w, const std::string& parameter, const std::string& value,
                  const std::vector<const PostfixService*>& users) {
  for (const PostfixService* s : users) {
    const bool inside = chrooted(w, *s);
    if (!ours_in(w, value, inside).empty()) continue;
    const auto elsewhere = ours_in(w, value, !inside);
    if (elsewhere.empty()) continue;
    const Entry& e = elsewhere.front();
    std::string error;
    const auto seen = postfix_socket(e.endpoint.address, w.queue, inside, error);
    const std::string service = s->name + "/" + s->type;
    if (inside) {
      w.report.add("postfix.milter_chroot", Severity::error,
                   "master.cf service " + service + " runs chrooted in " + w.queue + " (chroot column " + s->chroot +
                       "): " + parameter + " entry " + e.endpoint.address + " is " + seen->path +
                       " for it, where domainauth does not listen, so its mail is neither signed nor verified",
                   "Make domainauth listen on unix:" + seen->path + " (milter.listen) and keep " +
                       e.endpoint.address + " in " + parameter + ", or set the chroot column of " + service +
                       " in master.cf to n.",
                   service);
    } else {
      w.report.add("postfix.milter_chroot", Severity::error,
                   "master.cf service " + service + " does not run chrooted (chroot column " + s->chroot + "): " +
                       parameter + " entry " + e.endpoint.address + " is " + seen->path + " for it, not " +
                       e.socket->path + " where domainauth listens",
                   "Name unix:" + e.socket->path + " in " + parameter + ", or set the chroot column of " + service +
                       " in master.cf to y like the other services that use it.",
                   service);
    }
  }
}

// smtpd_milters or non_smtpd_milters; our entries as the services using it reach them.
std::vector<Entry> check_milter_list(Walk& w, const std::string& id, const std::string& parameter,
                                     const std::string& command, Severity missing, const std::string& consequence) {
  const std::string value = w.config.get(parameter);
  const auto users = services_running(w, command, parameter);
  std::set<bool> settings;
  for (const PostfixService* s : users) settings.insert(chrooted(w, *s));
  if (settings.empty()) settings.insert(false);
  std::vector<Entry> ours;
  for (const bool inside : settings) {
    for (auto& e : ours_in(w, value, inside)) {
      const bool listed = std::any_of(ours.begin(), ours.end(),
                                      [&](const Entry& o) { return o.endpoint.address == e.endpoint.address; });
      if (!listed) ours.push_back(std::move(e));
    }
  }
  std::vector<std::string> unreadable;
  for (const auto& item : split_postfix_list(value)) {
    std::string error;
    const PostfixEndpoint endpoint = parse_postfix_endpoint(item);
    if (!postfix_socket(endpoint.address, w.queue, false, error)) unreadable.push_back(endpoint.address);
  }
  if (!ours.empty()) {
    w.report.add(id, Severity::ok, parameter + " names domainauth's milter " + ours.front().endpoint.address, {},
                 parameter);
  } else {
    w.report.add(id, missing,
                 parameter + " = " + (value.empty() ? "(empty)" : value) + " names no socket domainauth listens on (milter.listen: " +
                     addresses_of(w.expect.milter) + (unreadable.empty() ? "" : "; not understood: " + detail::join_list(unreadable)) +
                     "): " + consequence,
                 "Add " + fix_milter(w) + " to " + parameter + ".", parameter);
  }
  check_chroot(w, parameter, value, users);
  return ours;
}

void check_milters(Walk& w) {
  std::vector<Entry> ours = check_milter_list(w, "postfix.smtpd_milters", "smtpd_milters", "smtpd", Severity::error,
                                              "mail received over SMTP is neither signed nor verified");
  auto local = check_milter_list(w, "postfix.non_smtpd_milters", "non_smtpd_milters", "cleanup", Severity::warning,
                                 "mail submitted with sendmail(1) (cron, scripts, web forms) leaves unsigned");
  ours.insert(ours.end(), local.begin(), local.end());
  for (const auto& s : w.config.services) {
    const auto it = s.overrides.find("smtpd_milters");
    if (it == s.overrides.end()) continue;
    const auto here = ours_in(w, it->second, chrooted(w, s));
    ours.insert(ours.end(), here.begin(), here.end());
    if (!here.empty()) continue;
    if (!ours_in(w, it->second, !chrooted(w, s)).empty()) {
      check_chroot(w, s.name + "/" + s.type + " -o smtpd_milters", it->second, {&s});
      continue;
    }
    w.report.add("postfix.service_milters", Severity::error,
                 "master.cf service " + s.name + "/" + s.type + " overrides smtpd_milters (= " +
                     (it->second.empty() ? "(empty)" : it->second) +
                     ") without domainauth's milter: mail received there is neither signed nor verified",
                 "Add " + fix_milter(w) + " to that -o smtpd_milters= in master.cf, or remove the -o line.",
                 s.name + "/" + s.type + " -o smtpd_milters");
  }
  std::set<std::string> probed;
  for (const auto& e : ours) probe(w, "postfix.milter_reachable", *e.socket, probed);
  const std::string global = w.config.get("milter_default_action");
  report_default_action(w, global.empty() ? "tempfail" : global, "milter_default_action");
  for (const auto& e : ours) {
    const auto it = e.endpoint.settings.find("default_action");
    if (it != e.endpoint.settings.end() && it->second != global) {
      report_default_action(w, it->second, e.endpoint.address + " default_action");
    }
  }
  const std::string protocol = w.config.get("milter_protocol");
  if (!protocol.empty() && protocol != "6") {
    w.report.add("postfix.milter_protocol", Severity::warning,
                 "milter_protocol = " + protocol + ": domainauth speaks version 6; older versions cannot insert "
                 "header fields at a position or skip steps, so results are added less precisely",
                 "Set milter_protocol = 6 (the default).", "milter_protocol");
  } else {
    w.report.add("postfix.milter_protocol", Severity::ok, "milter_protocol = 6", {}, "milter_protocol");
  }
}

// One restriction list: where our policy service and the relay check stand.
struct Restrictions {
  std::string parameter;
  bool relay_check = false;           // reject_unauth_destination or defer_unauth_destination
  bool ours_before_relay_check = false;
  std::vector<net::ListenAddress> ours;
};

Restrictions scan(const Walk& w, const std::string& parameter) {
  Restrictions r{parameter, false, false, {}};
  const auto items = split_postfix_list(w.config.get(parameter));
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i] == "reject_unauth_destination" || items[i] == "defer_unauth_destination") r.relay_check = true;
    if (items[i] != kPolicyCheck || i + 1 == items.size()) continue;
    const Entry e = entry_of(w, items[++i], w.expect.policy, smtpd_chrooted(w));
    if (!e.socket || !(e.ours || spawned_policy(w, *e.socket))) continue;
    r.ours.push_back(*e.socket);
    if (!r.relay_check) r.ours_before_relay_check = true;
  }
  return r;
}

void check_policy(Walk& w) {
  const Restrictions lists[] = {scan(w, "smtpd_relay_restrictions"), scan(w, "smtpd_recipient_restrictions")};
  const std::string fix_address = w.expect.policy.empty() ? "inet:127.0.0.1:10023" : w.expect.policy.front().to_string();
  const Restrictions* found = nullptr;
  bool protected_relay = false;  // some list rejects relaying before any policy OK can permit it
  for (const auto& l : lists) {
    if (!l.ours.empty() && !found) found = &l;
    protected_relay = protected_relay || (l.relay_check && !l.ours_before_relay_check);
  }
  if (!found) {
    w.report.add("postfix.policy_service", Severity::warning,
                 "no check_policy_service in smtpd_recipient_restrictions or smtpd_relay_restrictions names "
                 "domainauth's policy service (policy.listen: " + addresses_of(w.expect.policy) +
                     "): SPF is not checked on incoming mail",
                 "Add check_policy_service " + fix_address +
                     " to smtpd_recipient_restrictions, after reject_unauth_destination.",
                 "smtpd_recipient_restrictions");
    return;
  }
  w.report.add("postfix.policy_service", Severity::ok, found->parameter + " calls domainauth's policy service", {},
               found->parameter);
  for (const auto& l : lists) {
    if (l.ours.empty()) continue;
    if (l.ours_before_relay_check && !protected_relay) {
      w.report.add("postfix.policy_order", Severity::error,
                   "check_policy_service comes before reject_unauth_destination in " + l.parameter +
                       " and no restriction list refuses relaying first: a policy answer of OK makes Postfix an "
                       "open relay",
                   "Move check_policy_service after reject_unauth_destination in " + l.parameter + ".", l.parameter);
    } else {
      w.report.add("postfix.policy_order", Severity::ok, "unauthorized relaying is refused before the policy service",
                   {}, l.parameter);
    }
  }
  std::set<std::string> probed;
  for (const auto& l : lists) {
    for (const auto& socket : l.ours) {
      if (const PostfixService* spawn = spawned_policy(w, socket)) {
        w.report.add("postfix.policy_reachable", Severity::ok,
                     "master(8) starts domainauth policy on demand (master.cf service " + spawn->name + ")", {},
                     socket.to_string());
      } else {
        probe(w, "postfix.policy_reachable", socket, probed);
      }
    }
  }
}

bool has_key(const PostfixExpectations& expect, const std::string& domain) {
  for (const auto& d : expect.signing_domains) {
    if (d == domain || (expect.subdomains && domain.ends_with("." + d))) return true;
  }
  return false;
}

constexpr std::array<const char*, 4> kDomainLists = {"mydestination", "virtual_alias_domains",
                                                     "virtual_mailbox_domains", "relay_domains"};

// The domains Postfix takes mail for, with where each is named (a parameter,
// or a parameter and a table), and the tables whose domains were not listed.
struct MailDomains {
  std::vector<std::pair<std::string, std::string>> domains;  // where, domain
  struct Unlisted {
    std::string parameter, table, why;
    bool error = false;  // the table could not be read (rather than cannot be listed)
  };
  std::vector<Unlisted> tables;
};

void add_domain(MailDomains& out, const std::string& where, std::string_view item) {
  std::string domain = text::to_lower(item);
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  if (domain.find('.') == std::string::npos || domain == "localhost" || domain.starts_with("localhost.")) return;
  for (const auto& [w, d] : out.domains) {
    if (d == domain) return;
  }
  out.domains.emplace_back(where, domain);
}

// One item of a domain list; the items of a "/file" list are read once, not further down.
void add_item(const PostfixConfig& config, MailDomains& out, const std::string& parameter, std::string_view item,
              bool nested) {
  if (!is_postfix_table(item)) {
    add_domain(out, parameter, item);
    return;
  }
  const PostfixTable table = classify_postfix_table(item);
  switch (table.kind) {
    case PostfixTable::Kind::inline_keys:
      for (const auto& key : table.keys) add_domain(out, parameter + " " + table.name, key);
      return;
    case PostfixTable::Kind::matches_all:
      out.tables.push_back({parameter, table.name, "matches every domain, so there is no list of domains", false});
      return;
    case PostfixTable::Kind::unlistable:
      out.tables.push_back({parameter, table.name, "cannot be listed (" + table.type + ": tables have no key listing)",
                            false});
      return;
    case PostfixTable::Kind::postmap:
    case PostfixTable::Kind::text_file:
    case PostfixTable::Kind::list_file: break;
  }
  const auto it = config.tables.find(table.name);
  if (nested || it == config.tables.end()) {
    out.tables.push_back({parameter, table.name, nested ? "is named inside a list file" : "was not read", false});
  } else if (!it->second.error.empty()) {
    out.tables.push_back({parameter, table.name, "cannot be read: " + it->second.error, true});
  } else {
    for (const auto& key : it->second.keys) {
      if (table.kind == PostfixTable::Kind::list_file) {
        add_item(config, out, parameter + " " + table.name, key, true);
      } else {
        add_domain(out, parameter + " " + table.name, key);
      }
    }
  }
}

MailDomains mail_domains(const PostfixConfig& config) {
  MailDomains out;
  for (const std::string parameter : kDomainLists) {
    for (const auto& item : split_postfix_list(config.get(parameter))) add_item(config, out, parameter, item, false);
  }
  return out;
}

void check_signing_domains(Walk& w) {
  const MailDomains found = mail_domains(w.config);
  for (const auto& t : found.tables) {
    if (t.error) {
      w.report.add("postfix.table_unreadable", Severity::warning,
                   t.parameter + " names the lookup table " + t.table + ", which " + t.why +
                       ": its domains were not checked for keys",
                   "Run check as a user that can read " + t.table + " (and postmap it if its source changed).",
                   t.table);
    } else {
      w.report.add("postfix.signing_key_table", Severity::info,
                   t.parameter + " names the lookup table " + t.table + ", which " + t.why +
                       ": its domains could not be checked for keys",
                   "Make sure domainauth has a signing key for each domain the table lists.", t.table);
    }
  }
  for (const auto& [where, domain] : found.domains) {
    if (has_key(w.expect, domain)) continue;
    w.report.add("postfix.signing_key", Severity::warning,
                 "Postfix takes mail for " + domain + " (" + where +
                     ") but domainauth has no signing key for it: mail From @" + domain + " leaves unsigned",
                 "Run `domainauth init --domain " + domain + "` (or add a [[sign.key]] for it), or drop it from " +
                     where + " if it sends no mail.",
                 domain);
  }
  if (!found.domains.empty() && w.report.find("postfix.signing_key") == nullptr) {
    w.report.add("postfix.signing_key", Severity::ok,
                 "each of the " + std::to_string(found.domains.size()) +
                     " domain(s) Postfix takes mail for has a signing key");
  }
}

void check_tls(Walk& w) {
  std::string level = w.config.get("smtp_tls_security_level");
  if (level.empty()) level = w.config.get("smtp_enforce_tls") == "yes" ? "encrypt" : w.config.get("smtp_use_tls") == "yes" ? "may" : "none";
  static const std::set<std::string> kTls = {"may", "encrypt", "dane", "dane-only", "fingerprint", "verify", "secure"};
  if (kTls.contains(level)) {
    w.report.add("postfix.smtp_tls", Severity::ok, "smtp_tls_security_level = " + level + ": mail leaves over TLS",
                 {}, "smtp_tls_security_level");
  } else {
    w.report.add("postfix.smtp_tls", Severity::error,
                 "smtp_tls_security_level = " + level + ": mail leaves without TLS, which Gmail and Yahoo require",
                 "Set smtp_tls_security_level = may in main.cf.", "smtp_tls_security_level");
  }
}

// inet_protocols (default all): whether Postfix sends over IPv4, over IPv6.
std::string protocols_of(const PostfixConfig& config) {
  return config.get("inet_protocols").empty() ? "all" : config.get("inet_protocols");
}
bool sends_v4(const std::string& protocols) {
  return protocols.find("all") != std::string::npos || protocols.find("ipv4") != std::string::npos;
}
bool sends_v6(const std::string& protocols) {
  return protocols.find("all") != std::string::npos || protocols.find("ipv6") != std::string::npos;
}

void check_outbound(Walk& w) {
  const std::string protocols = protocols_of(w.config);
  const bool v4 = sends_v4(protocols), v6 = sends_v6(protocols);
  std::vector<std::string> ways;
  const std::string bind4 = w.config.get("smtp_bind_address"), bind6 = w.config.get("smtp_bind_address6");
  const std::string route = "the address of the interface the route picks";
  if (v4) ways.push_back("over IPv4 from " + (bind4.empty() ? route + " (smtp_bind_address unset)" : bind4));
  if (v6) ways.push_back("over IPv6 from " + (bind6.empty() ? route + " (smtp_bind_address6 unset)" : bind6));
  w.report.add("postfix.outbound_address", Severity::info,
               "inet_protocols = " + protocols + ": mail leaves " + detail::join_list(ways),
               v6 ? "Give every address mail leaves from a PTR and list it in SPF (Gmail's IPv6 rules are stricter), "
                    "or set inet_protocols = ipv4."
                  : "Give the address mail leaves from a PTR and list it in SPF.",
               "inet_protocols");
}

}  // namespace

const std::vector<std::string>& postfix_parameters_read() {
  static const std::vector<std::string> names = {
      "smtpd_milters", "non_smtpd_milters", "milter_default_action", "milter_protocol", "smtpd_relay_restrictions",
      "smtpd_recipient_restrictions", "mydestination", "virtual_alias_domains", "virtual_mailbox_domains",
      "relay_domains", "mail_version",
      "smtp_tls_security_level", "smtp_use_tls", "smtp_enforce_tls", "smtp_bind_address", "smtp_bind_address6",
      "inet_protocols", "smtp_helo_name", "queue_directory"};
  return names;
}

void check_postfix(const PostfixConfig& config, const PostfixExpectations& expect, Report& report) {
  Walk w{config, expect, report};
  check_milters(w);
  check_policy(w);
  check_signing_domains(w);
  check_tls(w);
  check_outbound(w);
}

std::vector<std::string> postfix_mail_domains(const PostfixConfig& config) {
  std::vector<std::string> out;
  for (const auto& [where, domain] : mail_domains(config).domains) out.push_back(domain);
  return out;
}

std::vector<PostfixTable> postfix_tables_to_list(const PostfixConfig& config) {
  std::vector<PostfixTable> out;
  for (const std::string parameter : kDomainLists) {
    for (const auto& item : split_postfix_list(config.get(parameter))) {
      if (!is_postfix_table(item)) continue;
      PostfixTable table = classify_postfix_table(item);
      const bool read = table.kind == PostfixTable::Kind::postmap || table.kind == PostfixTable::Kind::text_file ||
                        table.kind == PostfixTable::Kind::list_file;
      const bool seen = std::any_of(out.begin(), out.end(), [&](const auto& t) { return t.name == table.name; });
      if (read && !seen) out.push_back(std::move(table));
    }
  }
  return out;
}

std::vector<net::IpAddress> postfix_outbound_addresses(const PostfixConfig& config) {
  const std::string protocols = protocols_of(config);
  std::vector<net::IpAddress> out;
  if (auto ip = net::IpAddress::parse(config.get("smtp_bind_address")); ip && ip->is_v4() && sends_v4(protocols)) {
    out.push_back(*ip);
  }
  if (auto ip = net::IpAddress::parse(config.get("smtp_bind_address6")); ip && !ip->is_v4() && sends_v6(protocols)) {
    out.push_back(*ip);
  }
  return out;
}

}  // namespace domainauth::setup
