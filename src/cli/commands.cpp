// Registers every subcommand; the list of what `domainauth --help` shows.
#include "cli/commands.hpp"

namespace domainauth::cli {

const char* version() { return "0.1.0"; }

void add_commands(CLI::App& app, int& status) {
  add_serve_command(app, status);
  add_configtest_command(app, status);
  add_policy_command(app, status);
  add_spf_command(app, status);
  add_dkim_command(app, status);
  add_init_command(app, status);
  add_check_command(app, status);
  add_explain_command(app, status);
  add_keys_command(app, status);
  add_migrate_command(app, status);
  add_report_command(app, status);
  add_verify_command(app, status);
}

}  // namespace domainauth::cli
