// `domainauth report summary --domain D`: what the aggregate reports received
// for D (report ingest) say over the last days: per source address its PTR
// name, reporters, messages, aligned SPF / DKIM and DMARC results and the
// dispositions applied, each source judged, and whether p=quarantine or
// p=reject would now block legitimate mail. PTR names are looked up at most
// for kMaxPtrLookups sources, all at once, each bounded by [dns] timeout.
// Reads the history (values from other parties' reports) and DNS answers.
#include <ctime>
#include <iomanip>
#include <iostream>

#include <asio/io_context.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "dns/config.hpp"
#include "report/summary.hpp"
#include "report/summary_json.hpp"
#include "store/failure_reports.hpp"
#include "store/ingested.hpp"
#include "store/queued_history.hpp"
#include "text/ascii.hpp"

namespace domainauth::cli {
namespace {


struct SummaryOptions {
  std::string config_path, domain, dns;
  int days = 7;
  bool json = false;
  bool no_ptr = false;
};

// Fills in the PTR names of the busiest sources.
void lookup_ptrs(const config::Config& config, const std::string& dns_override, report::Summary& summary) {
  asio::io_context io;
  dns::ResolverConfig resolver_config{config.dns.servers, config.dns.timeout, {}};
  if (!dns_override.empty()) resolver_config.servers = {dns_override};
  std::string why;
  auto resolver = dns::make_resolver(io.get_executor(), resolver_config, why);
  if (!resolver) {
    std::cerr << "domainauth report summary: no PTR names: DNS resolver: " << why << "\n";
    return;
  }
  bool done = false;
  report::lookup_ptrs(*resolver, summary, [&done] { done = true; });
  while (!done && io.run_one() > 0) {
  }
}

void print_text(const report::Summary& s, int days) {
  std::cout << s.domain << ": " << s.messages << " messages in the reports of the last " << days << " days, DMARC "
            << s.dmarc.pass << " pass, " << s.dmarc.fail << " fail; " << s.failure_reports
            << " failure reports received\n\n";
  std::cout << std::left << std::setw(40) << "source" << std::right << std::setw(9) << "messages" << std::setw(13)
            << "SPF pass/fail" << std::setw(14) << "DKIM pass/fail" << std::setw(15) << "DMARC pass/fail"
            << "  verdict\n";
  for (const auto& src : s.sources) {
    const auto pf = [](const report::PassFail& p) { return std::to_string(p.pass) + "/" + std::to_string(p.fail); };
    std::cout << std::left << std::setw(40) << (src.ip + (src.ptr.empty() ? "" : " (" + src.ptr + ")")) << std::right
              << std::setw(9) << src.messages << std::setw(13) << pf(src.spf) << std::setw(14) << pf(src.dkim)
              << std::setw(15) << pf(src.dmarc) << "  " << report::to_string(src.kind) << "\n";
    std::string applied;
    for (const auto& [d, n] : src.disposition) applied += (applied.empty() ? "" : ", ") + d + " " + std::to_string(n);
    std::cout << "    reported by ";
    for (std::size_t i = 0; i < src.reporters.size(); ++i) std::cout << (i ? ", " : "") << src.reporters[i];
    std::cout << "; applied: " << applied << "; " << src.why << "\n";
  }
  std::cout << "\n" << s.readiness.advice << "\n";
}

int run_summary(const SummaryOptions& o) {
  const auto loaded = load_config(o.config_path, "");
  if (!loaded.config || loaded.config->store.backend == store::Backend::none) {
    for (const auto& error : loaded.errors) std::cerr << "domainauth report summary: " << error << "\n";
    if (loaded.config) std::cerr << "domainauth report summary: store.backend is none: there is no history\n";
    return kExitUsage;
  }
  std::string why;
  auto db = store::connect(loaded.config->store, why);
  if (!db) {
    std::cerr << "domainauth report summary: history: " << why << "\n";
    return kExitEnvironment;
  }
  const std::int64_t since = report::period_start(std::time(nullptr), o.days);
  std::vector<store::ReportedRecord> records;
  if (auto error = store::ingested_records(*db, text::to_lower(o.domain), since, records)) {
    std::cerr << "domainauth report summary: history: " << *error << "\n";
    return kExitEnvironment;
  }
  auto summary = report::summarize(o.domain, records);
  if (auto error = store::count_failure_reports(*db, text::to_lower(o.domain), since, summary.failure_reports)) {
    std::cerr << "domainauth report summary: history: " << *error << "\n";
    return kExitEnvironment;
  }
  if (!o.no_ptr) lookup_ptrs(*loaded.config, o.dns, summary);
  report::judge(summary);
  if (o.json) std::cout << dump(report::summary_json(summary, o.days, since)) << "\n";
  else print_text(summary, o.days);
  return kExitOk;
}

}  // namespace

void add_report_summary_command(CLI::App& report, int& status) {
  auto options = std::make_shared<SummaryOptions>();
  auto* summary = report.add_subcommand(
      "summary",
      "What the aggregate reports received for a domain (report ingest) say: per source address its PTR name, "
      "reporters, messages, aligned SPF / DKIM / DMARC results and dispositions, which sources fail and whether they "
      "look like the domain's own servers, and whether p=quarantine / p=reject would now block legitimate mail");
  summary->add_option("--domain", options->domain, "the policy domain")->required();
  summary->add_option("--days", options->days,
                      "reports whose date range ends within the N UTC days before today, or today (default 7)")
      ->check(CLI::Range(1, report::kMaxDays));
  summary->add_option("--config", options->config_path, "configuration file (TOML)")->check(CLI::ExistingFile);
  summary->add_option("--dns", options->dns, "send the PTR queries to HOST[:PORT]");
  summary->add_flag("--no-ptr", options->no_ptr, "look up no PTR names");
  summary->add_flag("--json", options->json, "print one JSON object");
  summary->callback([options, &status] { status = run_summary(*options); });
}

}  // namespace domainauth::cli
