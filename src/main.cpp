// domainauth entry point: parses the command line and runs one subcommand.
// Exit status (design.md CLI contract): 0 the command ran, whatever the verdict;
// 1 bad usage or input; 2 environment (no DNS, no key, cannot bind).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"domainauth: SPF, DKIM, DMARC, ARC and Authentication-Results for your mail server"};
  app.set_version_flag("--version", std::string("domainauth ") + domainauth::cli::version());
  app.require_subcommand(1);
  int status = 0;
  domainauth::cli::add_commands(app, status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : domainauth::cli::kExitUsage;
  }
  return status;
}
