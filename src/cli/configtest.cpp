// `domainauth configtest [--config FILE] [--dns HOST[:PORT]] [--json]`: checks a
// configuration the way serve loads it (tables and keys included) and warns about
// each file daemon.user could not read (read_access.hpp), and checks that the listen addresses
// can be bound (listen_check.hpp), without serving. `serve --check` is the
// same. Reads the configuration and the files it names (administrator input).
#include "cli/configtest.hpp"

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/listen_check.hpp"
#include "cli/read_access.hpp"

namespace domainauth::cli {

int run_configtest(const std::string& config_path, const std::string& dns, bool json, const std::string& command) {
  const auto loaded = load_config(config_path, dns);
  auto errors = loaded.errors;
  // Warnings, not errors: the daemon runs; only its reloads would fail.
  std::vector<std::string> warnings;
  if (loaded.config) {
    warnings = access_warnings(*loaded.config, config_path);
    std::string unused;
    const auto& user = loaded.config->daemon.user;
    auto listeners = check_listeners(*loaded.config,
                                     user.empty() ? std::nullopt : config::find_account(user, unused));
    errors.insert(errors.end(), listeners.errors.begin(), listeners.errors.end());
    warnings.insert(warnings.end(), listeners.warnings.begin(), listeners.warnings.end());
  }
  const bool ok = errors.empty();
  if (json) {
    nlohmann::json out{{"ok", ok}, {"errors", errors}, {"warnings", warnings}};
    if (loaded.config) out["signing_keys"] = loaded.config->sign.keys.size();
    std::cout << out.dump(2) << "\n";
    return ok ? kExitOk : kExitUsage;
  }
  const std::string prefix = "domainauth " + command + ": ";
  for (const auto& error : errors) std::cerr << prefix << error << "\n";
  for (const auto& warning : warnings) std::cerr << prefix << "warning: " << warning << "\n";
  if (!ok) return kExitUsage;
  std::cout << "configuration ok: " << loaded.config->sign.keys.size() << " signing key(s)\n";
  return kExitOk;
}

void add_configtest_command(CLI::App& app, int& status) {
  struct Args {
    std::string config_path;
    std::string dns;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand(
      "configtest",
      "Check a configuration as serve would load it (tables and signing keys included) without serving: each "
      "error as file:line: key: message, a warning for each file daemon.user could not read (as root: opened as that user; a SIGHUP "
      "reload would fail on it); the listen addresses must be bindable (a unix socket's folder writable by daemon.user; "
      "an address in use is a warning: a running daemon holds its own); exit 1 on errors. The same as serve --check.");
  command->add_option("--config", args->config_path, "configuration file (TOML); none: the embedded defaults")
      ->check(CLI::ExistingFile);
  command->add_option("--dns", args->dns, "DNS server HOST[:PORT] the configuration would be served with");
  command->add_flag("--json", args->json, "one JSON object: ok, errors, warnings, signing_keys");
  command->callback([args, &status] { status = run_configtest(args->config_path, args->dns, args->json, "configtest"); });
}

}  // namespace domainauth::cli
