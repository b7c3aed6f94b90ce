// `domainauth init --domain D [--domain D2 ...] [--ip ADDR ...] [--out DIR]
// [--admin MAILBOX] [--request-reports] [--json]`: keys, domainauth.toml, the records to publish
// and the Postfix lines (setup/init.hpp). Prints what to do next, or with --json one object.
// Exit status: 0 done, 1 bad usage, 2 cannot write files or make keys.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/read_access.hpp"
#include "setup/init.hpp"

namespace domainauth::cli {
namespace {

struct InitArgs {
  std::vector<std::string> domains, ips;
  std::string out = ".", admin;
  bool request_reports = false;
  bool json = false;
};

// {"ok", "config", "config_status", "daemon_user", "keys_created", "keys_reused", "records_file",
//  "records", "postfix": {"main_cf", "master_cf"}, "warnings"}
nlohmann::json init_json(const setup::InitResult& r) {
  const char* status = r.config_unchanged ? "unchanged" : r.config_side_file ? "side_file" : "written";
  return {{"ok", true},
          {"config", r.config_path},
          {"config_status", status},
          {"daemon_user", r.daemon_user},
          {"keys_created", r.keys_created},
          {"keys_reused", r.keys_reused},
          {"records_file", r.zone_path},
          {"records", r.zone},
          {"postfix", {{"main_cf", r.postfix.main_cf}, {"master_cf", r.postfix.master_cf}}},
          {"warnings", r.notes}};
}

int run_init(const InitArgs& a) {
  setup::InitOptions options;
  for (const auto& d : a.domains) {
    if (d.find('.') == std::string::npos || d.find_first_of(" \t/@\"") != std::string::npos) {
      return fail("init", "--domain " + d + " is not a domain name", a.json, kExitUsage);
    }
    options.domains.push_back(d);
  }
  for (const auto& text : a.ips) {
    auto ip = net::IpAddress::parse(text);
    if (!ip) {
      return fail("init", "--ip " + text + " is not an IPv4 or IPv6 address", a.json, kExitUsage);
    }
    options.ips.push_back(*ip);
  }
  if (!a.admin.empty() && (a.admin.find('@') == std::string::npos || a.admin.find_first_of(" ;,") != std::string::npos)) {
    return fail("init", "--admin " + a.admin + " is not a mailbox", a.json, kExitUsage);
  }
  options.out_dir = a.out;
  options.admin = a.admin;
  options.request_reports = a.request_reports;
  auto result = setup::run_init(options);
  if (!result.error.empty()) return fail("init", result.error, a.json, kExitEnvironment);
  // The keys and the configuration were handed to daemon.user: can it read them now?
  const auto unreadable = access_warnings(config::load_file(result.config_path), result.config_path);
  result.notes.insert(result.notes.end(), unreadable.begin(), unreadable.end());
  if (a.json) {
    std::cout << dump(init_json(result)) << "\n";
    return kExitOk;
  }
  for (const auto& note : result.notes) std::cerr << "domainauth init: warning: " << note << "\n";
  for (const auto& k : result.keys_created) std::cout << "created key   " << k << "\n";
  for (const auto& k : result.keys_reused) std::cout << "kept key      " << k << " (existing keys are never replaced)\n";
  if (result.config_unchanged) std::cout << "configuration " << result.config_path << " (unchanged)\n";
  else if (result.config_side_file)
    std::cout << "configuration " << result.config_path << " (the existing domainauth.toml differs and was left as it "
              << "is: compare them)\n";
  else std::cout << "configuration " << result.config_path << "\n";
  std::cout << "records       " << result.zone_path << "\n\n"
            << "1. Publish these records in your DNS zone(s):\n\n" << result.zone
            << "2. Add to Postfix's main.cf (then `postfix reload`):\n\n" << result.postfix.main_cf << "\n"
            << "   master.cf:\n\n" << result.postfix.master_cf << "\n"
            << "3. When the records are visible, check each domain:\n"
            << "     domainauth check DOMAIN --config " << result.config_path
            << (options.ips.empty() ? " --ip YOUR.SERVER.ADDRESS" : " --ip " + options.ips.front().to_string())
            << " --helo YOUR.HELO.NAME\n"
            << "4. Run the service:  domainauth serve --config " << result.config_path << "\n";
  if (options.ips.empty()) {
    std::cout << "\nNo --ip given: the SPF records authorize your MX hosts (\"mx\"); list your sending addresses "
                 "with --ip if they differ.\n";
  }
  return kExitOk;
}

}  // namespace

void add_init_command(CLI::App& app, int& status) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* cmd = app.add_subcommand("init", "make DKIM keys, domainauth.toml, DNS records and Postfix lines");
  cmd->add_option("--domain", args->domains, "a domain you send mail as (repeatable)")->required();
  cmd->add_option("--ip", args->ips, "an address your server sends from (repeatable; SPF)");
  cmd->add_option("--out", args->out, "folder for domainauth.toml, keys/ and records.zone (default .)");
  cmd->add_option("--admin", args->admin, "mailbox for DMARC aggregate reports (default postmaster@DOMAIN)");
  cmd->add_flag("--request-reports", args->request_reports,
                "sign with r=y and print each domain's _report._domainkey record: DKIM failure reports (RFC 6651) "
                "go to the --admin local-part at that domain");
  cmd->add_flag("--json", args->json,
                "one JSON object: ok, config, config_status (written, unchanged, side_file), daemon_user, "
                "keys_created, keys_reused, records_file, records, postfix {main_cf, master_cf}, warnings");
  cmd->callback([args, &status] { status = run_init(*args); });
}

}  // namespace domainauth::cli
