// `domainauth serve [--config FILE] [--dns HOST[:PORT]]`: the foreground daemon.
// It serves the milter (default inet:127.0.0.1:8891: verifies everything and
// signs mail of originators for the domains it has keys for) and the Postfix
// policy service (default inet:127.0.0.1:10023), and with [web] listen an HTTP
// listener serving Prometheus metrics at /metrics, on one event loop; signing
// runs on a small thread pool. SIGTERM/SIGINT: stop accepting, close idle
// connections (between milter messages or policy requests) at once, let milter
// messages and policy requests in progress finish (at most kDrainTimeout),
// submit the queued failure reports for at most failure_reports.shutdown_timeout
// (the rest are dropped and counted), remove the PID file and sockets, exit.
// The DMARC history's expired days (store.retention_days) are deleted at start
// and once a day. SIGHUP: reload the configuration and the signing keys (connections stay; a
// connection keeps the settings it started with; listeners need a restart).
// Under systemd (Type=notify) it reports READY=1 once serving, RELOADING=1 and
// READY=1 around each reload, and STOPPING=1 when it starts to drain.
// Binds as root, writes the PID file, then becomes daemon.user. --check, and
// the start as root, warn about each file daemon.user could not read (a reload
// would fail on it); a failed reload keeps the running configuration.
#include <filesystem>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <csignal>
#include <ctime>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/configtest.hpp"
#include "cli/read_access.hpp"
#include "cli/policy_setup.hpp"
#include "daemon/daemon.hpp"
#include "daemon/notify.hpp"
#include "engine/context.hpp"
#include "milter/engine_handler.hpp"
#include "milter/server.hpp"
#include "policy/server.hpp"
#include "engine/failure_reporter.hpp"
#include "metrics/exposition.hpp"
#include "metrics/render.hpp"
#include "report/submit.hpp"
#include "store/ingested.hpp"
#include "store/queued_history.hpp"
#include "store/retention.hpp"
#include "text/ascii.hpp"
#include "web/dashboard.hpp"
#include "web/server.hpp"

namespace domainauth::cli {

namespace {

// How long requests and milter sessions in progress may take after SIGTERM.
constexpr auto kDrainTimeout = std::chrono::seconds(30);
constexpr auto kDrainPoll = std::chrono::milliseconds(100);
// Threads that make DKIM signatures (RSA / Ed25519), off the event loop.
constexpr std::size_t kCryptoThreads = 2;
// Descriptors beyond the milter and policy connections: listeners, DNS sockets,
// the database, the log, report submission, key and table files.
constexpr std::size_t kSpareDescriptors = 256;
// How often store.retention_days is applied.
constexpr auto kRetentionInterval = std::chrono::hours(24);
// What a failed reload does, said in its log line.
constexpr const char* kReloadKept = "the running configuration stays in effect";

struct ServeOptions {
  std::string config_path;
  std::string dns;
  bool help_config = false;
  bool check = false;
};

// Every configuration key with its type, default and meaning.
int print_config_keys() {
  for (const auto& key : config::keys()) {
    std::cout << key.name << " (" << key.type << ", default " << key.default_value << ")\n    " << key.doc << "\n";
  }
  return kExitOk;
}

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
    if (!start_milter(error)) return fail(error);
    if (!start_web(error)) return fail(error);
    if (!config_.daemon.pid_file.empty() && !daemon::write_pid_file(config_.daemon.pid_file, error)) {
      return fail(error);
    }
    pid_file_written_ = !config_.daemon.pid_file.empty();
    daemon::raise_descriptor_limit(config_.milter.max_connections + config_.policy.max_connections +
                                   kSpareDescriptors);
    auto owned = server_->unix_paths();  // handed to daemon.user, so it can remove them at exit
    if (!config_.daemon.pid_file.empty()) owned.push_back(config_.daemon.pid_file);
    if (auto state = make_state_directory(); !state.empty()) owned.push_back(state);
    if (!daemon::drop_privileges(config_.daemon.user, owned, error)) return fail(error);
    server_->start();
    milter_->start();
    if (web_) web_->start();
    spdlog::info("event=started milter={} signing_keys={} listen={} web={} dns={} user={}", join(milter_names_),
                 config_.sign.keys.size(), join(server_->bound_names()), join(web_names_),
                 config_.dns.servers.empty() ? "resolv.conf" : join(config_.dns.servers),
                 ::geteuid() == 0 ? "root" : config_.daemon.user);
    tell_service_manager("READY=1");
    asio::co_spawn(io_, handle_signals(), asio::detached);
    if (history_) asio::co_spawn(io_, apply_retention(), asio::detached);
    io_.run();
    // Process teardown in order: connections, service (and its resolver), then the loop.
    web_.reset();
    if (reader_) reader_->stop();  // joins the reader thread, which posts to the loop
    milter_.reset();
    milter_context_.reset();
    crypto_.join();
    stop_failure_reports();
    server_.reset();
    service_.reset();
    settings_.reset();
    remove_pid_file();
    spdlog::info("event=stopped");
    return kExitOk;
  }

 private:
  int fail(const std::string& error) {
    spdlog::error("event=start-failed error=\"{}\"", error);
    remove_pid_file();  // sockets: removed by their servers' destructors
    return kExitEnvironment;
  }

  // Bounded by failure_reports.shutdown_timeout: a relay that never answers
  // cannot hold up the exit (the MTA tempfails while we are gone).
  void stop_failure_reports() {
    if (!failure_reporter_) return;
    failure_reporter_->stop();
    const auto stats = failure_reporter_->stats();
    spdlog::info("event=failure_reports_stopped sent={} failed={} dropped={}", stats.sent, stats.failed,
                 stats.dropped);
    failure_reporter_.reset();
  }

  // systemd's Type=notify protocol; a failure is logged, the daemon goes on.
  static void tell_service_manager(const std::string& state) {
    std::string error;
    if (!daemon::notify(state, error)) spdlog::warn("event=notify-failed error=\"{}\"", error);
  }

  void remove_pid_file() {
    if (!pid_file_written_) return;
    pid_file_written_ = false;
    std::string error;
    if (!daemon::remove_pid_file(config_.daemon.pid_file, error)) {
      spdlog::warn("event=pid-file-not-removed error=\"{}\"", error);
    }
  }

  asio::awaitable<void> handle_signals() {
    asio::signal_set signals(io_, SIGTERM, SIGINT, SIGHUP);
    while (true) {
      asio::error_code ec;
      const int signal = co_await signals.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      if (signal == SIGHUP) {
        tell_service_manager(daemon::reloading_state());
        reload();
        tell_service_manager("READY=1");
        continue;
      }
      tell_service_manager("STOPPING=1");
      spdlog::info("event=stopping signal={} connections={}", signal, server_->connections());
      co_await drain();
      co_return;
    }
  }

  // store.retention_days, at start and then once a day: the writer thread
  // deletes the expired periods a batch at a time between the rows it stores.
  // A reload's retention_days applies from the next pass.
  asio::awaitable<void> apply_retention() {
    asio::steady_timer timer(io_);
    while (true) {
      if (config_.store.retention_days > 0) {
        history_->expire(store::retention_cutoff(std::time(nullptr), config_.store.retention_days));
      }
      timer.expires_after(kRetentionInterval);
      asio::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
  }

  // Stops accepting, then waits (at most kDrainTimeout) for policy connections
  // and milter sessions in progress to end.
  asio::awaitable<void> drain() {
    milter_->stop();
    if (web_) web_->stop();
    bool policy_drained = false;
    server_->drain([&] { policy_drained = true; });
    const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
    asio::steady_timer poll(io_);
    while (!(policy_drained && milter_->active_sessions() == 0) && std::chrono::steady_clock::now() < deadline) {
      poll.expires_after(kDrainPoll);
      asio::error_code ec;
      co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!policy_drained || milter_->active_sessions() != 0) {
      spdlog::warn("event=drain-timeout connections={} milter_sessions={}", server_->connections(),
                   milter_->active_sessions());
    }
    io_.stop();
  }

  std::shared_ptr<const engine::Context> make_milter_context(const config::Config& config) {
    auto context = std::make_shared<engine::Context>();
    context->config = std::make_shared<const config::Config>(config);
    context->resolver = settings_->resolver;
    context->crypto = crypto_.get_executor();
    context->history = history_;
    context->failure_reporter = failure_reporter_;
    return context;
  }

  // The failure report sender of failure_reports.enabled / .dkim (its worker thread
  // submits to [report] relay), or null.
  std::shared_ptr<engine::FailureReporter> make_failure_reporter() const {
    if (!config_.failure_reports.enabled && !config_.failure_reports.dkim) return nullptr;
    const auto host = config::host_name();
    auto from = config_.report.email.empty() ? "postmaster@" + host : config_.report.email;
    return std::make_shared<engine::FailureReporter>(
        config_.failure_reports, std::move(from), host, config_.dmarc,
        [relay = config_.report.relay](const engine::OutgoingReport& r) {
          return report::submit(relay, r.mail_from, r.recipients, r.message, r.deadline);
        });
  }

  // The SQLite history's folder (/var/lib/domainauth by default), made 0750 when it
  // does not exist yet and then handed to daemon.user; "" when nothing was made.
  std::string make_state_directory() const {
    if (config_.store.backend != store::Backend::sqlite) return {};
    auto folder = std::filesystem::path(config_.store.sqlite_path).parent_path();
    std::error_code ec;
    if (folder.empty() || std::filesystem::exists(folder, ec)) return {};
    if (!std::filesystem::create_directories(folder, ec)) {
      spdlog::warn("event=state_directory_failed path={} error=\"{}\"", folder.string(), ec.message());
      return {};
    }
    std::filesystem::permissions(folder, std::filesystem::perms(0750), ec);
    return folder.string();
  }

  bool start_milter(std::string& error) {
    if (config_.store.backend == store::Backend::postgresql && config_.store.postgresql.empty()) {
      error = "store.backend is postgresql but store.postgresql (the connection string) is empty";
      return false;
    }
    // Connects lazily on its writer thread, after daemon.user took effect.
    history_ = store::make_history(config_.store);
    failure_reporter_ = make_failure_reporter();
    milter_context_ = make_milter_context(config_);
    milter::ServerOptions options;
    options.capabilities = milter::engine_capabilities();
    options.idle_timeout = config_.milter.idle_timeout;
    options.stall_timeout = config_.milter.stall_timeout;
    options.max_connections = config_.milter.max_connections;
    options.one_thread = true;  // io_.run() on the main thread only
    options.on_handler_error = config_.milter.on_internal_error == config::FailureAction::tempfail
                                   ? milter::to_reply(engine::internal_error_reply())
                                   : milter::Reply::continue_();
    // Sessions are created on the event loop's one thread, as is every reload.
    milter_.emplace(io_.get_executor(), options, [this](const milter::SessionContext& session) {
      return milter::make_engine_handler(milter_context_, session);
    });
    const net::UnixSocketOptions unix_options{config_.milter.socket_mode, config_.milter.socket_owner,
                                                 config_.milter.socket_group};
    for (const auto& spec : config_.milter.listen) {
      std::string unused;
      const auto address = net::ListenAddress::parse(spec, unused);  // checked when the config was loaded
      const auto bound = milter_->listen(*address, unix_options);
      if (!bound.ok()) {
        error = "milter " + spec + ": " + bound.error;
        return false;
      }
      auto name = address->to_string();
      if (address->kind == net::ListenAddress::Kind::inet && address->port == 0) {
        name += " (port " + std::to_string(bound.port) + ")";
      }
      milter_names_.push_back(name);
    }
    return true;
  }

  // [web] listen: the HTTP listener with /metrics and, with a history, the
  // dashboard; nothing when no address is configured.
  bool start_web(std::string& error) {
    if (config_.web.listen.empty()) return true;
    auto router = std::make_shared<web::Router>(config_.web.token);
    if (config_.store.backend != store::Backend::none) {  // reader_ before /metrics, which uses it
      reader_ = std::make_shared<web::StoreReader>(io_.get_executor(), config_.store);
      std::vector<std::string> domains;
      for (const auto& key : config_.sign.keys) domains.push_back(text::to_lower(key.domain));
      web::add_dashboard(*router, reader_, {config_.store, std::move(domains), [this] { return settings_->resolver; }});
    }
    // The ingest counts come from the history, read off the event loop; the
    // rest is sampled when that read is done (or refused: then without them).
    router->add_deferred("/metrics", [this](const web::Request&, const web::Reply& reply) {
      const auto answer = [this, reply](std::optional<metrics::IngestSample> ingest) {
        auto sampled = sample_metrics();
        sampled.ingest = ingest;
        web::Response response;
        response.content_type = std::string(metrics::kContentType);
        response.body = metrics::render(metrics::counters(), sampled);
        reply(std::move(response));
      };
      if (!reader_) return answer(std::nullopt);
      auto counts = std::make_shared<store::IngestCounts>();
      reader_->read([counts](store::Database& db) { return store::ingest_counts(db, *counts); },
                    [counts, answer](const std::optional<std::string>& unread) {
                      if (unread) {
                        spdlog::warn("event=metrics_ingest_unread reason=\"{}\"", *unread);
                        return answer(std::nullopt);
                      }
                      answer(metrics::IngestSample{counts->stored, counts->refused, counts->failures, counts->tls});
                    });
    });
    web_.emplace(io_.get_executor(), std::move(router));
    for (const auto& address : config_.web.listen) {
      const auto bound = web_->listen(address);
      if (!bound.ok()) {
        error = "web " + address.to_string() + ": " + bound.error;
        return false;
      }
      auto name = address.to_string();
      if (address.kind == net::ListenAddress::Kind::inet && address.port == 0) {
        name += " (port " + std::to_string(bound.port) + ")";
      }
      web_names_.push_back(name);
    }
    return true;
  }

  // What /metrics reads from the servers and queues at scrape time.
  metrics::Sampled sample_metrics() const {
    metrics::Sampled sampled;
    sampled.milter_sessions = milter_ ? milter_->active_sessions() : 0;
    sampled.policy_sessions = server_ ? server_->connections() : 0;
    if (history_) {
      const auto stats = history_->stats();
      sampled.history = metrics::QueueSample{stats.queued, stats.dropped};
    }
    if (failure_reporter_) {
      const auto stats = failure_reporter_->stats();
      sampled.failure_reports = metrics::QueueSample{stats.waiting, stats.dropped};
    }
    return sampled;
  }

  void reload() {
    auto loaded = load_config(options_.config_path, options_.dns);
    if (!loaded.config) {
      // uid: the files must be readable by the user the daemon became after binding.
      for (const auto& error : loaded.errors) {
        spdlog::error("event=reload-failed uid={} error=\"{}\" note=\"{}\"", ::geteuid(), error, kReloadKept);
      }
      return;
    }
    std::string error;
    auto settings = make_settings(io_.get_executor(), *loaded.config, &config_, settings_.get(), error);
    if (!settings) {
      spdlog::error("event=reload-failed error=\"dns: {}\" note=\"{}\"", error, kReloadKept);
      return;
    }
    if (!(loaded.config->policy.listen == config_.policy.listen) || loaded.config->milter.listen != config_.milter.listen ||
        loaded.config->milter.max_connections != config_.milter.max_connections) {
      spdlog::warn("event=reload note=\"policy.listen, milter.listen or milter.max_connections changed; restart to "
                   "apply\"");
    }
    if (loaded.config->web.listen != config_.web.listen || loaded.config->web.token != config_.web.token) {
      spdlog::warn("event=reload note=\"web.listen or web.token changed; restart to apply\"");
    }
    if (loaded.config->store.backend != config_.store.backend || loaded.config->store.sqlite_path != config_.store.sqlite_path ||
        loaded.config->store.postgresql != config_.store.postgresql) {
      spdlog::warn("event=reload note=\"store settings changed; restart to apply\"");
    }
    if (loaded.config->failure_reports != config_.failure_reports ||
        loaded.config->report.relay.to_string() != config_.report.relay.to_string()) {
      spdlog::warn("event=reload note=\"failure_reports or report.relay changed; restart to apply\"");
    }
    settings_ = std::move(settings);
    service_->update(settings_, loaded.config->policy.cache_size);
    server_->set_limits(make_limits(loaded.config->policy));
    daemon::setup_logging(loaded.config->daemon.log, loaded.config->daemon.log_level, "domainauth");
    config_.dns = loaded.config->dns;
    config_.spf = loaded.config->spf;
    config_.sign = loaded.config->sign;
    config_.verify = loaded.config->verify;
    config_.dmarc = loaded.config->dmarc;
    config_.store.retention_days = loaded.config->store.retention_days;
    const auto listen = config_.milter.listen;
    const auto max_connections = config_.milter.max_connections;
    config_.milter = loaded.config->milter;
    config_.milter.listen = listen;
    config_.milter.max_connections = max_connections;
    milter_context_ = make_milter_context(config_);
    config_.policy.idle_timeout = loaded.config->policy.idle_timeout;
    config_.policy.request_timeout = loaded.config->policy.request_timeout;
    spdlog::info("event=reloaded signing_keys={}", config_.sign.keys.size());
  }

  ServeOptions options_;
  asio::io_context io_{1};  // run by this thread alone (concurrency hint 1)
  config::Config config_;
  std::shared_ptr<const policy::Settings> settings_;
  std::optional<policy::Service> service_;
  std::optional<policy::Server> server_;
  asio::thread_pool crypto_{kCryptoThreads};
  std::shared_ptr<store::QueuedHistory> history_;
  std::shared_ptr<engine::FailureReporter> failure_reporter_;
  std::shared_ptr<const engine::Context> milter_context_;
  std::optional<milter::Server> milter_;
  std::vector<std::string> milter_names_;
  std::shared_ptr<web::StoreReader> reader_;  // the dashboard's database reads
  std::optional<web::Server> web_;
  std::vector<std::string> web_names_;
  bool pid_file_written_ = false;
};

int run_serve(const ServeOptions& options) {
  if (options.help_config) return print_config_keys();
  if (options.check) return run_configtest(options.config_path, options.dns, false, "serve");
  const auto loaded = load_config(options.config_path, options.dns);
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << "domainauth serve: " << error << "\n";
    return kExitUsage;
  }
  // Warnings, not errors: the daemon runs; only its reloads would fail.
  const auto warnings = access_warnings(*loaded.config, options.config_path);
  daemon::setup_logging(loaded.config->daemon.log, loaded.config->daemon.log_level, "domainauth");
  if (::geteuid() == 0) {  // only root drops privileges
    for (const auto& warning : warnings) spdlog::warn("event=file-not-readable warning=\"{}\"", warning);
  }
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
      "Run the daemon in the foreground: the milter (DKIM signing and verification, SPF and DMARC results "
      "in Authentication-Results) on inet:127.0.0.1:8891 (Postfix: smtpd_milters = inet:127.0.0.1:8891, "
      "non_smtpd_milters = inet:127.0.0.1:8891, milter_default_action = tempfail) and the Postfix policy "
      "service (SPF) on inet:127.0.0.1:10023 (check_policy_service inet:127.0.0.1:10023). Without --config "
      "the embedded defaults apply: verify only, nothing is signed until [[sign.key]] or sign.keytable / "
      "sign.signingtable name keys. Mail from sign.internal_hosts (default 127.0.0.1, ::1) or SASL-"
      "authenticated clients is signed when its From domain has a key; the rest is verified. Every "
      "configuration key: `domainauth serve --help-config`. SIGHUP reloads the configuration and keys, "
      "SIGTERM drains and stops.");
  command->add_option("--config", options->config_path, "configuration file (TOML)")->check(CLI::ExistingFile);
  command->add_option("--dns", options->dns, "send every DNS query to HOST[:PORT] (an IP address)");
  command->add_flag("--help-config", options->help_config, "list every configuration key and exit");
  command->add_flag("--check", options->check,
                    "load and check the configuration and keys, then exit (the same as domainauth configtest)");
  command->callback([options, &status] { status = run_serve(*options); });
}

}  // namespace domainauth::cli
