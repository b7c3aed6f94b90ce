// `domainauth serve [--config FILE] [--dns HOST[:PORT]]`: the foreground daemon.
// Today it serves the Postfix policy service (default inet:127.0.0.1:10023).
// SIGTERM/SIGINT: stop accepting, answer requests in progress, exit. SIGHUP:
// reload the configuration (connections stay; listeners need a restart).
// Binds as root, writes the PID file, then becomes daemon.user.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <csignal>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/policy_setup.hpp"
#include "daemon/daemon.hpp"
#include "policy/server.hpp"

namespace domainauth::cli {

namespace {

// How long requests in progress may take to be answered after SIGTERM.
constexpr auto kDrainTimeout = std::chrono::seconds(30);

struct ServeOptions {
  std::string config_path;
  std::string dns;
};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

class Daemon {
 public:
  explicit Daemon(ServeOptions options) : options_(std::move(options)) {}

  int run(config::Config config) {
    config_ = std::move(config);
    std::string error;
    settings_ = make_settings(io_.get_executor(), config_, nullptr, nullptr, error);
    if (!settings_) return fail("dns: " + error);
    service_.emplace(settings_, config_.policy.cache_size);
    server_.emplace(io_, *service_, make_limits(config_.policy));
    if (!server_->listen(config_.policy.listen, config_.policy.socket_mode, error)) return fail(error);
    if (!config_.daemon.pid_file.empty() && !daemon::write_pid_file(config_.daemon.pid_file, error)) {
      return fail(error);
    }
    auto owned = server_->unix_paths();  // handed to daemon.user, so it can remove them at exit
    if (!config_.daemon.pid_file.empty()) owned.push_back(config_.daemon.pid_file);
    if (!daemon::drop_privileges(config_.daemon.user, owned, error)) return fail(error);
    server_->start();
    spdlog::info("event=started listen={} dns={} user={}", join(server_->bound_names()),
                 config_.dns.servers.empty() ? "resolv.conf" : join(config_.dns.servers),
                 ::geteuid() == 0 ? "root" : config_.daemon.user);
    asio::co_spawn(io_, handle_signals(), asio::detached);
    io_.run();
    // Process teardown in order: connections, service (and its resolver), then the loop.
    server_.reset();
    service_.reset();
    settings_.reset();
    if (!config_.daemon.pid_file.empty()) ::unlink(config_.daemon.pid_file.c_str());
    spdlog::info("event=stopped");
    return kExitOk;
  }

 private:
  int fail(const std::string& error) {
    spdlog::error("event=start-failed error=\"{}\"", error);
    return kExitEnvironment;
  }

  asio::awaitable<void> handle_signals() {
    asio::signal_set signals(io_, SIGTERM, SIGINT, SIGHUP);
    while (true) {
      asio::error_code ec;
      const int signal = co_await signals.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      if (signal == SIGHUP) {
        reload();
        continue;
      }
      spdlog::info("event=stopping signal={} connections={}", signal, server_->connections());
      co_await drain();
      co_return;
    }
  }

  asio::awaitable<void> drain() {
    asio::steady_timer deadline(io_, kDrainTimeout);
    bool drained = false;
    server_->drain([&] {
      drained = true;
      deadline.cancel();
    });
    if (!drained) {
      asio::error_code ec;
      co_await deadline.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) spdlog::warn("event=drain-timeout connections={}", server_->connections());
    }
    io_.stop();
  }

  void reload() {
    auto loaded = load_config(options_.config_path, options_.dns);
    if (!loaded.config) {
      for (const auto& error : loaded.errors) spdlog::error("event=reload-failed error=\"{}\"", error);
      return;
    }
    std::string error;
    auto settings = make_settings(io_.get_executor(), *loaded.config, &config_, settings_.get(), error);
    if (!settings) {
      spdlog::error("event=reload-failed error=\"dns: {}\"", error);
      return;
    }
    if (!(loaded.config->policy.listen == config_.policy.listen)) {
      spdlog::warn("event=reload note=\"policy.listen changed; restart to apply\"");
    }
    settings_ = std::move(settings);
    service_->update(settings_, loaded.config->policy.cache_size);
    server_->set_limits(make_limits(loaded.config->policy));
    daemon::setup_logging(loaded.config->daemon.log, loaded.config->daemon.log_level, "domainauth");
    config_.dns = loaded.config->dns;
    config_.spf = loaded.config->spf;
    config_.policy.idle_timeout = loaded.config->policy.idle_timeout;
    config_.policy.request_timeout = loaded.config->policy.request_timeout;
    spdlog::info("event=reloaded");
  }

  ServeOptions options_;
  asio::io_context io_;
  config::Config config_;
  std::shared_ptr<const policy::Settings> settings_;
  std::optional<policy::Service> service_;
  std::optional<policy::Server> server_;
};

int run_serve(const ServeOptions& options) {
  const auto loaded = load_config(options.config_path, options.dns);
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << "domainauth serve: " << error << "\n";
    return kExitUsage;
  }
  daemon::setup_logging(loaded.config->daemon.log, loaded.config->daemon.log_level, "domainauth");
  // Replies are written with write(2); a client gone away must be an error, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  Daemon daemon(options);
  return daemon.run(*loaded.config);
}

}  // namespace

void add_serve_command(CLI::App& app, int& status) {
  auto options = std::make_shared<ServeOptions>();
  auto* command = app.add_subcommand(
      "serve",
      "Run the daemon in the foreground: the Postfix policy service (SPF), by default on "
      "inet:127.0.0.1:10023 (check_policy_service inet:127.0.0.1:10023). Without --config the embedded "
      "defaults apply. SIGHUP reloads the configuration, SIGTERM stops.");
  command->add_option("--config", options->config_path, "configuration file (TOML)")->check(CLI::ExistingFile);
  command->add_option("--dns", options->dns, "send every DNS query to HOST[:PORT] (an IP address)");
  command->callback([options, &status] { status = run_serve(*options); });
}

}  // namespace domainauth::cli
