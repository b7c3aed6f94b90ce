// `domainauth migrate --opendkim opendkim.conf [--opendmarc opendmarc.conf]
// [--out FILE] [--path-map OLD=NEW ...]`: writes domainauth.toml from an
// OpenDKIM/OpenDMARC setup (setup/migrate.hpp); what could not be migrated is
// listed, with the reason, as comments in the file and on standard error.
// --out never overwrites an existing file; it is written 0640 with the group of
// daemon.user, who reads it after the privilege drop (a missing user is a
// warning); a table or key file daemon.user could not read is a warning naming
// it (OpenDKIM's files stay where and as they are). --json: one object instead
// (the configuration in it unless --out). Exit status: 0 written, 1 bad usage
// or unreadable input, 2 cannot write the output.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/read_access.hpp"
#include "config/paths.hpp"
#include "setup/config_file.hpp"
#include "setup/migrate.hpp"

namespace domainauth::cli {
namespace {

struct MigrateArgs {
  std::string opendkim, opendmarc, out;
  std::vector<std::string> path_map;
  bool json = false;
};

// {"ok", "out", "toml" (without --out), "daemon_user", "mapped", "not_migrated": [{file, setting, value, why}],
//  "warnings"}
nlohmann::json migrate_json(const setup::Migration& m, const std::string& out, const std::vector<std::string>& warnings) {
  nlohmann::json not_migrated = nlohmann::json::array();
  for (const auto& n : m.not_migrated) {
    not_migrated.push_back({{"file", n.file}, {"setting", n.setting}, {"value", n.value}, {"why", n.why}});
  }
  nlohmann::json j{{"ok", true},
                   {"out", out.empty() ? nlohmann::json() : nlohmann::json(out)},
                   {"daemon_user", m.daemon_user},
                   {"mapped", m.mapped},
                   {"not_migrated", not_migrated},
                   {"warnings", warnings}};
  if (out.empty()) j["toml"] = m.toml;
  return j;
}

int run_migrate(const MigrateArgs& a) {
  setup::MigrateOptions options;
  auto dkim = setup::read_text_file(a.opendkim);
  if (!dkim) return fail("migrate", "cannot read " + a.opendkim, a.json, kExitUsage);
  options.opendkim_text = *dkim;
  options.opendkim_name = a.opendkim;
  if (!a.opendmarc.empty()) {
    auto dmarc = setup::read_text_file(a.opendmarc);
    if (!dmarc) return fail("migrate", "cannot read " + a.opendmarc, a.json, kExitUsage);
    options.opendmarc_text = *dmarc;
    options.opendmarc_name = a.opendmarc;
  }
  for (const auto& item : a.path_map) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail("migrate", "--path-map wants OLD=NEW, not " + item, a.json, kExitUsage);
    }
    options.path_map.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  auto m = setup::migrate(options);
  if (!m.error.empty()) return fail("migrate", m.error, a.json, kExitEnvironment);
  for (const auto& n : m.not_migrated) {
    std::cerr << "not migrated: " << n.file << ": " << n.setting << (n.value.empty() ? "" : " " + n.value) << " -- "
              << n.why << "\n";
  }
  std::vector<std::string> warnings;
  if (!a.out.empty()) {
    std::string error;
    if (!setup::write_new_file(a.out, m.toml, 0640, error)) {
      return fail("migrate", error + " (an existing file is never overwritten)", a.json, kExitEnvironment);
    }
    // daemon.user reads it again on every SIGHUP, after serve dropped root.
    if (auto note = setup::hand_to_daemon_user(a.out, m.daemon_user, setup::Reader::group); !note.empty()) {
      warnings.push_back(note);
    }
  }
  // The OpenDKIM tables and keys stay where they are: daemon.user must read them after the drop.
  const auto unreadable = access_warnings(config::load_string(m.toml, a.out.empty() ? "migrated.toml" : a.out), a.out);
  warnings.insert(warnings.end(), unreadable.begin(), unreadable.end());
  for (const auto& line : warnings) std::cerr << "domainauth migrate: warning: " << line << "\n";
  if (a.json) std::cout << dump(migrate_json(m, a.out, warnings)) << "\n";
  else if (a.out.empty()) std::cout << m.toml;
  else std::cerr << "wrote " << a.out << "; check it with: domainauth configtest --config " << a.out << "\n";
  return kExitOk;
}

}  // namespace

void add_migrate_command(CLI::App& app, int& status) {
  auto args = std::make_shared<MigrateArgs>();
  CLI::App* cmd = app.add_subcommand("migrate", "write domainauth.toml from opendkim.conf (and opendmarc.conf)");
  cmd->add_option("--opendkim", args->opendkim, "opendkim.conf")->required();
  cmd->add_option("--opendmarc", args->opendmarc, "opendmarc.conf");
  cmd->add_option("--out", args->out, "write here (never overwritten) instead of standard output");
  cmd->add_option("--path-map", args->path_map,
                  "OLD=NEW: rewrite file names starting with OLD (e.g. /usr/local/etc/mail/opendkim=" +
                      std::string(config::paths().config_dir) + ")");
  cmd->add_flag("--json", args->json,
                "one JSON object: ok, out (null without --out), toml (the configuration, without --out), "
                "daemon_user, mapped, not_migrated [{file, setting, value, why}], warnings");
  cmd->callback([args, &status] { status = run_migrate(*args); });
}

}  // namespace domainauth::cli
