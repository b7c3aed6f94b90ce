// `domainauth policy [--config FILE] [--dns HOST[:PORT]]`: the Postfix policy
// service on standard input and output, for a master.cf spawn(8) entry, where
// postfix-policyd-spf-perl used to stand:
//   policy unix - n n - - spawn user=nobody argv=/usr/sbin/domainauth policy
// Serves the requests of one connection and exits when Postfix closes it.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <csignal>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/policy_setup.hpp"
#include "daemon/daemon.hpp"
#include "policy/server.hpp"

namespace domainauth::cli {

namespace {

struct PolicyOptions {
  std::string config_path;
  std::string dns;
};

// spawn(8) connects standard error to the client too: log lines written there
// would corrupt the protocol stream, so they go to syslog instead.
bool stderr_is_stdout() {
  struct stat out {}, err {};
  return ::fstat(STDOUT_FILENO, &out) == 0 && ::fstat(STDERR_FILENO, &err) == 0 && out.st_dev == err.st_dev &&
         out.st_ino == err.st_ino;
}

int run_policy(const PolicyOptions& options) {
  const auto loaded = load_config(options.config_path, options.dns);
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << "domainauth policy: " << error << "\n";
    return kExitUsage;
  }
  const auto& config = *loaded.config;
  const auto target = stderr_is_stdout() ? config::LogTarget::syslog : config.daemon.log;
  daemon::setup_logging(target, config.daemon.log_level, "domainauth/policy");
  std::signal(SIGPIPE, SIG_IGN);

  asio::io_context io;
  std::string error;
  auto settings = make_settings(io.get_executor(), config, nullptr, nullptr, error);
  if (!settings) {
    spdlog::error("event=start-failed error=\"dns: {}\"", error);
    return kExitEnvironment;
  }
  const auto limits = make_limits(config.policy);
  {
    policy::Service service(std::move(settings), config.policy.cache_size);
    if (!policy::serve_stdio(io, service, limits, [&io] { io.stop(); }, error)) {
      spdlog::error("event=start-failed error=\"{}\"", error);
      return kExitEnvironment;
    }
    io.run();
  }
  return kExitOk;
}

}  // namespace

void add_policy_command(CLI::App& app, int& status) {
  auto options = std::make_shared<PolicyOptions>();
  auto* command = app.add_subcommand(
      "policy",
      "Serve the Postfix policy protocol (SPF) on standard input/output, for a master.cf spawn entry; "
      "exits when the client closes. Logs go to syslog when standard error is the client's socket.");
  command->add_option("--config", options->config_path, "configuration file (TOML)")->check(CLI::ExistingFile);
  command->add_option("--dns", options->dns, "send every DNS query to HOST[:PORT] (an IP address)");
  command->callback([options, &status] { status = run_policy(*options); });
}

}  // namespace domainauth::cli
