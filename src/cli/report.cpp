// `domainauth report aggregate`: the RFC 9990 aggregate reports of a period,
// one per policy domain with rows in the history, mailed through [report]
// relay to the verified rua= destinations (once per destination and period),
// or with --dry-run written gzipped to --out under the RFC 9990 3.1.3 file
// name; --json prints one object with every report; on a terminal a progress
// line and a summary at the end (cli/progress.hpp), nothing of the kind in cron.
// `domainauth report expire` deletes the days store.retention_days no longer
// keeps. Reads the configuration, the history and DNS answers.
#include <unistd.h>

#include <array>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <asio/io_context.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "config/config.hpp"
#include "dmarc/text.hpp"
#include "dns/sync.hpp"
#include "dns/config.hpp"
#include "report/aggregate.hpp"
#include "report/file.hpp"
#include "report/send.hpp"
#include "store/queued_history.hpp"
#include "store/retention.hpp"

namespace domainauth::cli {
namespace {

struct ReportOptions {
  std::string config_path;
  std::string period, from, to;  // YYYY-MM-DD
  bool dry_run = false;
  bool force = false;
  std::string out;
  std::string dns;
  bool json = false;
};

std::string host_name() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return "localhost";
  return buffer.data();
}

std::string report_id(std::string_view domain, std::int64_t begin) {
  std::random_device random;
  return std::string(domain) + "." + std::to_string(begin) + "." + std::to_string(random());
}

// The days [begin, end) the options name (yesterday when none); nullopt with why when they are wrong.
std::optional<std::pair<std::int64_t, std::int64_t>> period(const ReportOptions& o, std::string& why) {
  if (o.period.empty() && o.from.empty() && o.to.empty()) {
    const auto today = store::reporting_window(std::time(nullptr)).first;
    return std::pair{today - store::kReportInterval, today};
  }
  if (!o.period.empty()) {
    const auto day = report::parse_day(o.period);
    if (!day) why = "--period: not a date YYYY-MM-DD: " + o.period;
    if (!day) return std::nullopt;
    return std::pair{*day, *day + store::kReportInterval};
  }
  const auto from = report::parse_day(o.from);
  const auto to = report::parse_day(o.to);
  if (!from || !to || *to < *from) {
    why = "--from and --to must be dates YYYY-MM-DD, --to not before --from (or give --period)";
    return std::nullopt;
  }
  return std::pair{*from, *to + store::kReportInterval};
}

// Everything one run needs besides the history.
struct Run {
  Run(const config::Config& c, const ReportOptions& o) : config(c), options(o) {}
  const config::Config& config;
  const ReportOptions& options;
  std::string org, email, submitter, host;
  asio::io_context io;
  std::unique_ptr<dns::Resolver> resolver;  // not for --dry-run
  dmarc::Options dmarc;
  int written = 0, sent = 0, failed = 0;
  nlohmann::json reports = nlohmann::json::array();  // --json: {domain, file, sent, already} each
  Progress progress{"domainauth report"};
  // out, after the progress line is erased (it is drawn again at the next report).
  std::ostream& say(std::ostream& out) {
    progress.erase();
    return out;
  }
};

std::string_view discovery_method(dmarc::OrgDomainMode mode) {
  return mode == dmarc::OrgDomainMode::rfc7489_psl ? "psl" : "treewalk";
}

// Mails one report to the verified rua= destinations of domain.
void mail_report(Run& run, store::Database& db, const std::string& domain, const report::Metadata& meta,
                 const std::string& name, const std::string& gzipped) {
  auto lookup = report::aggregate_destinations(*run.resolver, run.dmarc, domain);
  const auto destinations = dns::run_sync(run.io, std::move(lookup));
  for (const auto& note : destinations.notes) {
    run.say(std::cerr) << "domainauth report: " << domain << ": " << note << "\n";
  }
  if (destinations.temperror) ++run.failed;  // DNS: this period is tried again on the next run
  if (destinations.authorized.empty()) {
    if (!destinations.reason.empty()) {
      run.say(std::cerr) << "domainauth report: " << domain << ": " << destinations.reason << "\n";
    }
    return;
  }
  report::AggregateMail mail{run.email, {},          domain, run.submitter, meta.report_id, name, gzipped,
                             meta.begin, meta.end,   std::time(nullptr), run.host};
  const auto outcome = report::send_aggregate(db, run.config.report.relay, std::move(mail), destinations.authorized,
                                              run.options.force);
  for (const auto& note : outcome.notes) run.say(std::cerr) << "domainauth report: " << domain << ": " << note << "\n";
  if (outcome.sent > 0 && !run.options.json) {
    run.say(std::cout) << name << " sent to " << outcome.sent << " destination(s)\n";
  }
  run.reports.push_back({{"domain", domain}, {"file", name}, {"sent", outcome.sent}, {"already", outcome.already}});
  if (outcome.already > 0) {
    run.say(std::cerr) << "domainauth report: " << name << ": already sent to " << outcome.already
                       << " destination(s)\n";
  }
  run.sent += outcome.sent;
  run.failed += outcome.failed;
}

// The reports of one day: written (--dry-run) or mailed. The history's error, if any.
std::optional<std::string> report_day(Run& run, store::Database& db, std::int64_t day) {
  const auto end = day + store::kReportInterval;
  std::vector<std::string> domains;
  std::vector<store::Row> rows;
  if (auto error = store::policy_domains(db, day, end, domains)) return error;
  if (auto error = store::select_rows(db, "", day, end, rows)) return error;
  run.progress.expect(domains.size());
  for (const auto& domain : domains) {
    run.progress.advance(report::format_day(day) + " " + domain);
    const report::Metadata meta{run.org,
                                run.email,
                                report_id(domain, day),
                                day,
                                end,
                                std::string(discovery_method(run.config.dmarc.mode)),
                                std::string("domainauth ") + version(),
                                run.config.report.format};
    const auto xml = report::aggregate_xml(meta, domain, rows);
    if (xml.empty()) continue;
    const auto name = report::file_name(run.org, domain, day, end - 1);
    if (run.options.dry_run) {
      std::ofstream(std::filesystem::path(run.options.out) / name, std::ios::binary) << report::gzip(xml);
      if (!run.options.json) run.say(std::cout) << name << "\n";
      run.reports.push_back({{"domain", domain}, {"file", name}});
      ++run.written;
    } else {
      mail_report(run, db, domain, meta, name, report::gzip(xml));
    }
  }
  return std::nullopt;
}

int run_reports(const config::Config& config, const ReportOptions& o, std::int64_t first, std::int64_t last) {
  std::string why;
  auto db = store::connect(config.store, why);
  if (!db) return fail("report", "history: " + why, o.json, kExitEnvironment);
  Run run(config, o);
  run.host = host_name();
  run.org = config.report.org_name.empty() ? run.host : config.report.org_name;
  run.email = config.report.email.empty() ? "postmaster@" + run.host : config.report.email;
  // RFC 9990 3.5: Submitter is a domain name: org_name when it is one, else the contact address's domain.
  run.submitter = dmarc::is_domain_name(run.org) ? run.org : run.email.substr(run.email.rfind('@') + 1);
  run.dmarc.mode = config.dmarc.mode;
  run.dmarc.psl = config.dmarc.psl.get();
  if (!o.dry_run) {
    dns::ResolverConfig resolver_config{config.dns.servers, config.dns.timeout, {}};
    if (!o.dns.empty()) resolver_config.servers = {o.dns};
    run.resolver = dns::make_resolver(run.io.get_executor(), resolver_config, why);
    if (!run.resolver) return fail("report", "DNS resolver: " + why, o.json, kExitEnvironment);
  }
  for (auto day = first; day < last; day += store::kReportInterval) {
    if (auto error = report_day(run, *db, day)) return fail("report", "history: " + *error, o.json, kExitEnvironment);
  }
  if (o.dry_run) {
    run.progress.finish(std::to_string(run.written) + " report(s) written to " + o.out);
  } else {
    run.progress.finish(std::to_string(run.sent) + " report mail(s) sent, " + std::to_string(run.failed) +
                        " to try again on the next run");
  }
  const int code = run.failed > 0 ? kExitEnvironment : kExitOk;
  if (o.json) {
    std::cout << dump({{"ok", code == kExitOk},
                       {"dry_run", o.dry_run},
                       {"from", report::format_day(first)},
                       {"to", report::format_day(last - store::kReportInterval)},
                       {"reports", run.reports},
                       {"written", run.written},
                       {"sent", run.sent},
                       {"failed", run.failed}})
              << "\n";
  }
  return code;
}

int run_report(const ReportOptions& o) {
  if (o.dry_run != !o.out.empty()) {
    return fail("report aggregate", "--dry-run and --out DIR go together (without them the reports are mailed)",
                o.json, kExitUsage);
  }
  std::string why;
  const auto range = period(o, why);
  if (!range) return fail("report aggregate", why, o.json, kExitUsage);
  const auto loaded = load_config(o.config_path, "");  // --dns is applied to the resolver only
  if (!loaded.config) {
    std::string errors;
    for (const auto& error : loaded.errors) errors += (errors.empty() ? "" : "; ") + error;
    return fail("report", errors, o.json, kExitUsage);
  }
  if (loaded.config->store.backend == store::Backend::none) {
    return fail("report", "store.backend is none: there is no history", o.json, kExitUsage);
  }
  return run_reports(*loaded.config, o, range->first, range->second);
}

struct ExpireOptions {
  std::string config_path;
  std::int64_t older_than = 0;  // 0: store.retention_days
  bool json = false;
};

// `report expire`: deletes the days store.retention_days (or --older-than)
// no longer keeps, as the daemon does once a day.
int run_expire(const ExpireOptions& o) {
  const auto loaded = load_config(o.config_path, "");
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << "domainauth report: " << error << "\n";
    return kExitUsage;
  }
  const auto& store = loaded.config->store;
  if (store.backend == store::Backend::none) {
    std::cerr << "domainauth report: store.backend is none: there is no history\n";
    return kExitUsage;
  }
  const auto days = o.older_than > 0 ? o.older_than : store.retention_days;
  if (days == 0) {
    std::cerr << "domainauth report expire: store.retention_days is 0 (keep everything): nothing deleted; "
                 "--older-than DAYS deletes anyway\n";
    return kExitUsage;
  }
  std::string why;
  auto db = store::connect(store, why);
  if (!db) {
    std::cerr << "domainauth report: history: " << why << "\n";
    return kExitEnvironment;
  }
  const auto cutoff = store::retention_cutoff(std::time(nullptr), days);
  store::Expired expired;
  const auto error = store::expire(*db, cutoff, expired);
  if (error) std::cerr << "domainauth report: history: " << *error << "\n";
  if (o.json) {
    std::cout << dump({{"ok", !error},
                       {"older_than_days", days},
                       {"before", report::format_day(cutoff)},
                       {"messages", expired.messages},
                       {"sent_reports", expired.sent_reports}})
              << "\n";
  } else {
    std::cout << "deleted " << expired.messages << " history row(s) and " << expired.sent_reports
              << " sent-report row(s) of the days before " << report::format_day(cutoff) << " (" << days
              << " day(s) kept before today)\n";
  }
  return error ? kExitEnvironment : kExitOk;
}

}  // namespace

void add_report_command(CLI::App& app, int& status) {
  auto options = std::make_shared<ReportOptions>();
  auto* report = app.add_subcommand(
      "report", "DMARC reports: send them from the history ([store]), store those received, summarize them");
  report->require_subcommand(1);
  auto* aggregate = report->add_subcommand(
      "aggregate",
      "Build the RFC 9990 aggregate report of each policy domain for each UTC day of the period (yesterday when "
      "none is given) from the history and mail it to the domain's verified rua= mailto: addresses through "
      "[report] relay; each destination gets each period once (--force: again)");
  aggregate->add_option("--period", options->period, "one UTC day, YYYY-MM-DD");
  aggregate->add_option("--from", options->from, "first UTC day, YYYY-MM-DD (with --to)");
  aggregate->add_option("--to", options->to, "last UTC day, YYYY-MM-DD (with --from)");
  aggregate->add_option("--config", options->config_path, "configuration file (TOML)")->check(CLI::ExistingFile);
  aggregate->add_option("--dns", options->dns, "send every DNS query to HOST[:PORT]");
  aggregate->add_flag("--force", options->force, "send again to destinations that already had the period");
  aggregate->add_flag("--dry-run", options->dry_run,
                      "write the reports, gzipped and named receiver!policy-domain!begin!end.xml.gz, instead of "
                      "mailing them (needs --out)");
  aggregate->add_option("--out", options->out, "directory the reports are written to")->check(CLI::ExistingDirectory);
  aggregate->add_flag("--json", options->json,
                      "one JSON object: ok, dry_run, from, to (the UTC days), reports [{domain, file, sent, "
                      "already}] (sent, already: destinations; not with --dry-run), written, sent, failed");
  aggregate->callback([options, &status] { status = run_report(*options); });

  auto expire_options = std::make_shared<ExpireOptions>();
  auto* expire = report->add_subcommand(
      "expire",
      "Delete the history of the UTC days before the last store.retention_days (default 180) days before today, "
      "with the record of the reports sent for them, as the daemon does at start and once a day");
  expire->add_option("--older-than", expire_options->older_than, "days to keep instead of store.retention_days")
      ->check(CLI::Range(std::int64_t{1}, store::kMaxRetentionDays));
  expire->add_option("--config", expire_options->config_path, "configuration file (TOML)")->check(CLI::ExistingFile);
  expire->add_flag("--json", expire_options->json,
                   "one JSON object: ok, older_than_days, before (the first day kept), messages, sent_reports "
                   "(rows deleted)");
  expire->callback([expire_options, &status] { status = run_expire(*expire_options); });
  add_report_ingest_command(*report, status);
  add_report_summary_command(*report, status);
}

}  // namespace domainauth::cli
