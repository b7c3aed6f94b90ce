// The subcommands of the domainauth command line, one file each in src/cli/.
// Each add_*_command() registers its subcommand; its callback stores the exit
// status in `status`.
#pragma once

#include <CLI/CLI.hpp>

namespace domainauth::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;        // bad usage or input
inline constexpr int kExitEnvironment = 2;  // no DNS, no key, cannot bind
inline constexpr int kExitFindings = 3;     // check / explain / keys rotate: errors found or not yet done

[[nodiscard]] const char* version();

void add_commands(CLI::App& app, int& status);

// One per subcommand, each in its own file.
void add_serve_command(CLI::App& app, int& status);   // serve.cpp
void add_policy_command(CLI::App& app, int& status);  // policy.cpp
void add_spf_command(CLI::App& app, int& status);     // spf.cpp
void add_dkim_command(CLI::App& app, int& status);    // dkim.cpp
void add_init_command(CLI::App& app, int& status);    // init.cpp
void add_check_command(CLI::App& app, int& status);   // check.cpp
void add_explain_command(CLI::App& app, int& status); // explain.cpp
void add_keys_command(CLI::App& app, int& status);    // keys.cpp
void add_migrate_command(CLI::App& app, int& status); // migrate.cpp
void add_report_command(CLI::App& app, int& status);  // report.cpp
// The report subcommand's own subcommands, added by add_report_command().
void add_report_ingest_command(CLI::App& report, int& status);   // report_ingest.cpp
void add_report_summary_command(CLI::App& report, int& status);  // report_summary.cpp
void add_verify_command(CLI::App& app, int& status);  // verify.cpp
void add_configtest_command(CLI::App& app, int& status);  // configtest.cpp

}  // namespace domainauth::cli
