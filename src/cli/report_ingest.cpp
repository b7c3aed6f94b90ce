// `domainauth report ingest`: DMARC aggregate reports, failure reports (RFC
// 6591 auth-failure) and SMTP TLS reports (RFC 8460) received from other
// receivers and senders, read from files, from one mail message on standard input (a
// Postfix alias or pipe(8) transport) or from a maildir's new/ folder, and
// stored once each in the history. The exit status follows sysexits(3), as
// Postfix reads it: 0 stored (or already stored), EX_DATAERR (65) something
// could not be read (Postfix bounces it), EX_TEMPFAIL (75) the history is
// unreachable (Postfix defers and retries), EX_CONFIG (78) the configuration
// is wrong (Postfix defers), EX_USAGE (64). --maildir and FILE... list only
// what was refused (--json lists everything) and, on a terminal, show
// progress and a summary line (cli/progress.hpp). Reads untrusted input: the
// mail and the files.
#include <sysexits.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "report/ingest_failure.hpp"
#include "report/ingest_mail.hpp"
#include "report/ingest_tls.hpp"
#include "report/ingest_xml.hpp"
#include "store/failure_reports.hpp"
#include "store/ingested.hpp"
#include "store/queued_history.hpp"
#include "store/tls_reports.hpp"

namespace domainauth::cli {
namespace {

constexpr std::size_t kMaxInput = 128 * 1024 * 1024;  // one message or file

struct IngestOptions {
  std::string config_path;
  bool json = false;
  std::string maildir;
  std::vector<std::string> files;
};

enum class Status : std::uint8_t { stored, duplicate, refused, tempfail };
std::string_view to_string(Status s) {
  switch (s) {
    case Status::stored: return "stored";
    case Status::duplicate: return "duplicate";
    case Status::refused: return "refused";
    case Status::tempfail: return "tempfail";
  }
  return "refused";
}

struct Run {
  Run(store::Database& database, bool json_output, bool many_items)
      : db(database), json(json_output), many(many_items) {}
  store::Database& db;
  bool json;
  bool many;  // --maildir or FILE...: stored and duplicate reports are not listed one by one (--json lists them)
  Progress progress{"domainauth report ingest"};
  nlohmann::json results = nlohmann::json::array();
  int stored = 0, duplicates = 0, refused = 0, tempfailed = 0;
  std::string last_refusal;  // source: error

  Status note(const std::string& source, Status status, nlohmann::json item) {
    item["source"] = source;
    item["status"] = to_string(status);
    (status == Status::stored ? stored : status == Status::duplicate ? duplicates : status == Status::refused ? refused : tempfailed)++;
    if (status == Status::refused) last_refusal = source + ": " + item.value("error", std::string("refused"));
    const bool good = status == Status::stored || status == Status::duplicate;
    if (!json && !(many && good)) {
      progress.erase();
      auto& out = good ? std::cout : std::cerr;
      out << (good ? "" : "domainauth report ingest: ") << source
          << ": " << to_string(status);
      if (item.contains("records")) out << " report " << item["report_id"].get<std::string>() << " of "
                                    << item["org"].get<std::string>() << " for " << item["domain"].get<std::string>()
                                    << " (" << item["messages"].get<std::uint64_t>() << " messages)";
      if (item.contains("sessions")) out << " TLS report " << item["report_id"].get<std::string>() << " of "
                                         << item["org"].get<std::string>() << " ("
                                         << item["sessions"]["successful"].get<std::uint64_t>() << " successful, "
                                         << item["sessions"]["failed"].get<std::uint64_t>() << " failed sessions)";
      if (item.contains("auth_failure")) out << " failure report (" << item["auth_failure"].get<std::string>()
                                             << ") from " << item["reporter"].get<std::string>() << " for "
                                             << item["domain"].get<std::string>();
      if (item.contains("error")) out << ": " << item["error"].get<std::string>();
      out << "\n";
    }
    results.push_back(std::move(item));
    return status;
  }

  // A parsed report (report::ParsedReport, ParsedFailure or ParsedTls): refused with its
  // error, or described into its result and stored once (save: the history's error).
  template <typename Parsed, typename Describe, typename Save>
  Status parsed_report(const std::string& source, std::string_view kind, const Parsed& parsed, Describe describe,
                       Save save) {
    nlohmann::json item{{"kind", kind}, {"notes", parsed.notes}};
    if (!parsed.report) {
      item["error"] = parsed.error;
      return note(source, Status::refused, std::move(item));
    }
    describe(*parsed.report, item);
    store::StoreOutcome outcome{};
    if (auto error = save(*parsed.report, outcome)) {
      item["error"] = "history: " + *error;
      return note(source, Status::tempfail, std::move(item));
    }
    return note(source, outcome == store::StoreOutcome::stored ? Status::stored : Status::duplicate, std::move(item));
  }

  // One TLS report document: parsed and stored in one transaction.
  Status tls(const report::Document& d) {
    const auto describe = [](const store::TlsReport& r, nlohmann::json& item) {
      std::uint64_t successful = 0, failed = 0;
      std::set<std::string> domains;
      for (const auto& p : r.policies) {
        successful += p.successful;
        failed += p.failed;
        domains.insert(p.policy_domain);
      }
      item.update({{"org", r.org_name}, {"report_id", r.report_id}, {"domains", domains}, {"begin", r.begin},
                   {"end", r.end}, {"sessions", {{"successful", successful}, {"failed", failed}}}});
    };
    return parsed_report(d.name, "tls", report::parse_tls(d.text, std::time(nullptr)), describe,
                         [this](const store::TlsReport& r, store::StoreOutcome& outcome) {
                           return store::store_tls_report(db, r, std::time(nullptr), outcome);
                         });
  }

  // One document: parsed and stored in one transaction.
  Status document(const report::Document& d) {
    if (report::looks_like_json(d.text)) return tls(d);
    const auto describe = [](const store::IngestedReport& r, nlohmann::json& item) {
      std::uint64_t messages = 0;
      for (const auto& record : r.records) messages += record.count;
      item.update({{"org", r.org_name}, {"report_id", r.report_id}, {"domain", r.policy_domain},
                   {"begin", r.begin}, {"end", r.end}, {"records", r.records.size()}, {"messages", messages}});
    };
    return parsed_report(d.name, "aggregate", report::parse_aggregate(d.text, std::time(nullptr)), describe,
                         [this](const store::IngestedReport& r, store::StoreOutcome& outcome) {
                           return store::store_ingested(db, r, std::time(nullptr), outcome);
                         });
  }

  // One failure report: parsed and stored once (its dedup key).
  Status failure(const std::string& source, const report::Feedback& f) {
    const auto describe = [](const store::FailureReport& r, nlohmann::json& item) {
      item.update({{"reporter", r.reporter}, {"domain", r.reported_domain}, {"auth_failure", r.auth_failure},
                   {"source_ip", r.source_ip}, {"time", r.time}, {"delivery_result", r.delivery_result}});
    };
    return parsed_report(source, "failure", report::parse_failure(f, std::time(nullptr)), describe,
                         [this](const store::FailureReport& r, store::StoreOutcome& outcome) {
                           return store::store_failure_report(db, r, std::time(nullptr), outcome);
                         });
  }

  // Every document and failure report found; the worst status (tempfail over refused over the rest).
  Status extracted(const std::string& source, const report::Extracted& found) {
    Status worst = Status::stored;
    for (const auto& e : found.errors) worst = std::max(worst, note(source, Status::refused, {{"error", e}}));
    if (found.documents.empty() && found.feedback.empty() && found.errors.empty()) {
      worst = note(source, Status::refused, {{"error", "no DMARC aggregate, failure or TLS report found"}});
    }
    for (const auto& f : found.feedback) {
      if (worst == Status::tempfail) break;  // the history is down: the rest waits for the retry
      worst = std::max(worst, failure(source, f));
    }
    for (const auto& d : found.documents) {
      if (worst == Status::tempfail) break;
      worst = std::max(worst, document(d));
    }
    return worst;
  }

  // "12 stored, 3 duplicates, 1 refused, 0 to try again"
  [[nodiscard]] std::string counts() const {
    return std::to_string(stored) + " stored, " + std::to_string(duplicates) + " duplicates, " +
           std::to_string(refused) + " refused, " + std::to_string(tempfailed) + " to try again";
  }
};

std::optional<std::string> read_bounded(std::istream& in, std::string& error) {
  std::string data;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (data.size() > kMaxInput) return error = "larger than " + std::to_string(kMaxInput) + " octets", std::nullopt;
  }
  if (in.bad()) return error = "read error", std::nullopt;
  return data;
}

// Standard input: a mail message, or (for hand use) a report file as it is. A
// file: a report file, or a saved report mail (.eml) when it reads as one.
report::Extracted extract_input(std::string_view name, const std::string& data, bool file) {
  if (report::packing_of(data) != report::Packing::none || data.starts_with("<") || report::looks_like_json(data)) {
    return report::documents_from_file(name, data);
  }
  auto mail = report::documents_from_mail(data);
  if (!file || !mail.documents.empty() || !mail.feedback.empty()) return mail;
  return report::documents_from_file(name, data);
}

Status ingest_stream(Run& run, const std::string& name, std::istream& in, bool file) {
  std::string error;
  const auto data = read_bounded(in, error);
  if (!data) return run.note(name, Status::refused, {{"error", error}});
  return run.extracted(name, extract_input(name, *data, file));
}

// --maildir: each message of new/ read; moved to cur/ as seen (",S") once stored or
// already stored, flagged (",F") when it cannot be read, left in new/ when the history is down.
Status ingest_maildir(Run& run, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> messages;
  for (const auto& entry : fs::directory_iterator(dir / "new", ec)) {
    if (entry.is_regular_file()) messages.push_back(entry.path());
  }
  if (ec) return run.note(dir.string(), Status::tempfail, {{"error", "cannot read new/: " + ec.message()}});
  std::sort(messages.begin(), messages.end());
  run.progress.expect(messages.size());
  Status worst = Status::stored;
  for (const auto& path : messages) {
    std::ifstream in(path, std::ios::binary);
    const auto status = ingest_stream(run, path.string(), in, false);
    run.progress.advance(run.counts());
    worst = std::max(worst, status);
    if (status == Status::tempfail) break;
    fs::rename(path, dir / "cur" / (path.filename().string() + (status == Status::refused ? ":2,F" : ":2,S")), ec);
    if (ec) return run.note(path.string(), Status::tempfail, {{"error", "cannot move to cur/: " + ec.message()}});
  }
  return worst;
}

int run_ingest(const IngestOptions& o) {
  if (!o.maildir.empty() && !o.files.empty()) {
    std::cerr << "domainauth report ingest: give FILEs or --maildir, not both\n";
    return EX_USAGE;
  }
  const auto loaded = load_config(o.config_path, "");
  if (!loaded.config || loaded.config->store.backend == store::Backend::none) {
    for (const auto& error : loaded.errors) std::cerr << "domainauth report ingest: " << error << "\n";
    if (loaded.config) std::cerr << "domainauth report ingest: store.backend is none: nowhere to keep reports\n";
    return EX_CONFIG;
  }
  std::string why;
  auto db = store::connect(loaded.config->store, why);
  if (!db) {
    std::cerr << "domainauth report ingest: history: " << why << "\n";
    return EX_TEMPFAIL;
  }
  Run run{*db, o.json, !o.maildir.empty() || !o.files.empty()};
  run.progress.expect(o.files.size());
  Status worst = Status::stored;
  if (!o.maildir.empty()) {
    worst = ingest_maildir(run, o.maildir);
  } else if (o.files.empty()) {
    worst = ingest_stream(run, "stdin", std::cin, false);
  }
  for (const auto& file : o.files) {
    std::ifstream in(file, std::ios::binary);
    const auto status = in ? ingest_stream(run, file, in, true)
                           : run.note(file, Status::refused, {{"error", "cannot open"}});
    run.progress.advance(run.counts());
    worst = std::max(worst, status);
    if (status == Status::tempfail) break;
  }
  if (run.many) run.progress.finish("reports " + run.counts());
  // Counted in the history for /metrics (domainauth_reports_refused_total).
  if (run.refused > 0) {
    if (auto error = store::record_refused(*db, std::time(nullptr), static_cast<std::uint64_t>(run.refused),
                                           run.last_refusal)) {
      std::cerr << "domainauth report ingest: history: refusals not counted: " << *error << "\n";
    }
  }
  if (o.json) {
    std::cout << dump({{"stored", run.stored}, {"duplicates", run.duplicates}, {"refused", run.refused},
                       {"tempfailed", run.tempfailed}, {"results", run.results}})
              << "\n";
  }
  return worst == Status::tempfail ? EX_TEMPFAIL : worst == Status::refused ? EX_DATAERR : EX_OK;
}

}  // namespace

void add_report_ingest_command(CLI::App& report, int& status) {
  auto options = std::make_shared<IngestOptions>();
  auto* ingest = report.add_subcommand(
      "ingest",
      "Store DMARC aggregate reports (RFC 9990 or RFC 7489 XML; .xml, .xml.gz, .zip), failure reports "
      "(RFC 6591 auth-failure mail) and SMTP TLS reports (RFC 8460 JSON; .json, .json.gz) received from others "
      "in the history, each once: from FILEs, from one report mail on standard input (a Postfix alias: "
      "\"|domainauth report ingest\"), or from --maildir. Exit status: 0 stored, 65 unreadable, 75 history down "
      "(try again), 78 configuration");
  ingest->add_option("--config", options->config_path, "configuration file (TOML)")->check(CLI::ExistingFile);
  ingest->add_flag("--json", options->json, "print the results as one JSON object");
  ingest->add_option("--maildir", options->maildir,
                     "read each message of DIR/new and move it to DIR/cur (seen once stored, flagged when unreadable)")
      ->check(CLI::ExistingDirectory);
  ingest->add_option("files", options->files, "report files (.xml, .xml.gz, .zip, .json, .json.gz) or saved report mails (.eml)");
  ingest->callback([options, &status] { status = run_ingest(*options); });
}

}  // namespace domainauth::cli
