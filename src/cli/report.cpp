// `domainauth report aggregate`: the RFC 9990 aggregate reports of a period,
// one per policy domain with rows in the history, written gzipped to --out
// under the RFC 9990 3.1.3 file name. Reads the configuration and the history.
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "report/aggregate.hpp"
#include "report/file.hpp"
#include "store/queued_history.hpp"

namespace domainauth::cli {
namespace {

struct ReportOptions {
  std::string config_path;
  std::string period, from, to;  // YYYY-MM-DD
  bool dry_run = false;
  std::string out;
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

// The days [begin, end) the options name; nullopt with why when they are wrong.
std::optional<std::pair<std::int64_t, std::int64_t>> period(const ReportOptions& o, std::string& why) {
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

int write_reports(const config::Config& config, const ReportOptions& o, std::int64_t first, std::int64_t last) {
  std::string why;
  auto db = store::connect(config.store, why);
  if (!db) {
    std::cerr << "domainauth report: history: " << why << "\n";
    return kExitEnvironment;
  }
  const auto org = config.report.org_name.empty() ? host_name() : config.report.org_name;
  const auto email = config.report.email.empty() ? "postmaster@" + host_name() : config.report.email;
  int written = 0;
  for (auto day = first; day < last; day += store::kReportInterval) {
    const auto end = day + store::kReportInterval;
    std::vector<std::string> domains;
    std::vector<store::Row> rows;
    if (auto error = store::policy_domains(*db, day, end, domains)) why = *error;
    else if (auto e = store::select_rows(*db, "", day, end, rows)) why = *e;
    if (!why.empty()) {
      std::cerr << "domainauth report: history: " << why << "\n";
      return kExitEnvironment;
    }
    for (const auto& domain : domains) {
      const report::Metadata meta{org, email, report_id(domain, day), day, end, "treewalk",
                                  std::string("domainauth ") + version()};
      const auto xml = report::aggregate_xml(meta, domain, rows);
      if (xml.empty()) continue;
      const auto name = report::file_name(org, domain, day, end - 1);
      std::ofstream(std::filesystem::path(o.out) / name, std::ios::binary) << report::gzip(xml);
      std::cout << name << "\n";
      ++written;
    }
  }
  std::cerr << "domainauth report: " << written << " report(s) written to " << o.out << "\n";
  return kExitOk;
}

int run_report(const ReportOptions& o) {
  if (!o.dry_run || o.out.empty()) {
    std::cerr << "domainauth report aggregate: only --dry-run --out DIR is available (reports are written, not "
                 "mailed)\n";
    return kExitUsage;
  }
  std::string why;
  const auto range = period(o, why);
  if (!range) {
    std::cerr << "domainauth report aggregate: " << why << "\n";
    return kExitUsage;
  }
  const auto loaded = o.config_path.empty() ? config::LoadResult{config::defaults(), {}} : config::load_file(o.config_path);
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << "domainauth report: " << error << "\n";
    return kExitUsage;
  }
  if (loaded.config->store.backend == store::Backend::none) {
    std::cerr << "domainauth report: store.backend is none: there is no history\n";
    return kExitUsage;
  }
  return write_reports(*loaded.config, o, range->first, range->second);
}

}  // namespace

void add_report_command(CLI::App& app, int& status) {
  auto options = std::make_shared<ReportOptions>();
  auto* report = app.add_subcommand("report", "DMARC reports from the history ([store])");
  report->require_subcommand(1);
  auto* aggregate = report->add_subcommand(
      "aggregate",
      "Build the RFC 9990 aggregate report of each policy domain for each UTC day of the period from the "
      "history, gzipped, named receiver!policy-domain!begin!end.xml.gz");
  aggregate->add_option("--period", options->period, "one UTC day, YYYY-MM-DD");
  aggregate->add_option("--from", options->from, "first UTC day, YYYY-MM-DD (with --to)");
  aggregate->add_option("--to", options->to, "last UTC day, YYYY-MM-DD (with --from)");
  aggregate->add_option("--config", options->config_path, "configuration file (TOML)")->check(CLI::ExistingFile);
  aggregate->add_flag("--dry-run", options->dry_run, "write the reports instead of mailing them (needs --out)");
  aggregate->add_option("--out", options->out, "directory the reports are written to")->check(CLI::ExistingDirectory);
  aggregate->callback([options, &status] { status = run_report(*options); });
}

}  // namespace domainauth::cli
