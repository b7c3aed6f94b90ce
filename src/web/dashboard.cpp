// The dashboard's pages and their reads (dashboard.hpp).
#include "web/dashboard.hpp"

#include <asio/post.hpp>
#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "report/file.hpp"
#include "report/summary.hpp"
#include "report/summary_json.hpp"
#include "store/failure_reports.hpp"
#include "store/ingested.hpp"
#include "store/tls_reports.hpp"
#include "store/queued_history.hpp"
#include "text/ascii.hpp"
#include "web/assets.hpp"

namespace domainauth::web {

StoreReader::StoreReader(asio::any_io_executor loop, store::Settings settings)
    : loop_(std::move(loop)),
      settings_(std::move(settings)),
      worker_("web_read",
              queue::WorkerOptions{.limit = kMaxQueuedReads,
                                   .batch = 1,
                                   .retry = std::chrono::milliseconds(0),
                                   .limit_key = "the dashboard's read queue",
                                   .drain = std::chrono::milliseconds(0),
                                   .drain_key = "no time (reads are not waited for at shutdown)"},
              [this](std::vector<Job>& jobs) { return run(jobs); }) {}

void StoreReader::read(Query query, Done done) {
  if (!worker_.push(Job{std::move(query), done})) {
    done("busy: " + std::to_string(kMaxQueuedReads) + " reads wait already");
  }
}

// On the reader thread.
bool StoreReader::run(std::vector<Job>& jobs) {
  for (auto& job : jobs) {
    std::optional<std::string> error;
    if (!db_) {
      std::string why;
      db_ = store::connect_reader(settings_, kReadTimeout, why);
      if (!db_) error = "history: " + why;
    }
    if (db_) {
      error = job.query(*db_);
      if (error) db_.reset();  // a server restarted, a file replaced: reconnect for the next read
    }
    asio::post(loop_, [done = std::move(job.done), error = std::move(error)]() mutable { done(std::move(error)); });
  }
  return true;
}

namespace {

using Json = nlohmann::json;

Response json_response(const Json& json) {
  Response response;
  response.content_type = "application/json";
  response.body = json.dump(-1, ' ', false, Json::error_handler_t::replace);
  response.fields.emplace_back("Cache-Control", "no-store");
  return response;
}

Response unavailable(const std::string& why) {
  auto response = error_response(503, why);
  response.fields.emplace_back("Retry-After", "5");
  return response;
}

// The domain= of a request, lower case, when it is a plausible domain name.
std::optional<std::string> domain_of(const Request& request, std::string& why) {
  auto domain = query_value(request.query, "domain");
  if (!domain || domain->empty()) {
    why = "domain= is missing";
    return std::nullopt;
  }
  if (domain->size() > 253) {
    why = "domain= is longer than 253 characters";
    return std::nullopt;
  }
  for (const char c : *domain) {
    if (!text::is_alnum(c) && c != '.' && c != '-' && c != '_') {
      why = "domain= holds a character no domain name has";
      return std::nullopt;
    }
  }
  return text::to_lower(*domain);
}

// days=, 7 when absent; nothing (with why) when it is not a number in 1..kMaxDays.
std::optional<int> days_of(const Request& request, std::string& why) {
  const auto text = query_value(request.query, "days");
  if (!text) return 7;
  int days = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), days);
  if (ec != std::errc() || end != text->data() + text->size() || days < 1 || days > report::kMaxDays) {
    why = "days= must be a number from 1 to " + std::to_string(report::kMaxDays);
    return std::nullopt;
  }
  return days;
}

// The domain= and days= of a page about a period, and the period's first second.
struct Period {
  std::string domain;
  int days = 7;
  std::int64_t since = 0;
};
std::optional<Period> period_of(const Request& request, std::string& why) {
  auto domain = domain_of(request, why);
  const auto days = domain ? days_of(request, why) : std::nullopt;
  if (!days) return std::nullopt;
  return Period{std::move(*domain), *days, report::period_start(std::time(nullptr), *days)};
}

// What the dashboard pages share.
struct Context {
  std::shared_ptr<StoreReader> reader;
  DashboardOptions options;
};

void domains_page(const std::shared_ptr<Context>& context, const Request&, const Reply& reply) {
  auto found = std::make_shared<std::vector<std::string>>();
  context->reader->read([found](store::Database& db) { return store::ingested_domains(db, *found); },
                        [context, found, reply](const std::optional<std::string>& error) {
                          if (error) return reply(unavailable(*error));
                          std::set<std::string> all(context->options.domains.begin(), context->options.domains.end());
                          all.insert(found->begin(), found->end());
                          reply(json_response({{"domains", all}}));
                        });
}

void summary_page(const std::shared_ptr<Context>& context, const Request& request, const Reply& reply) {
  std::string why;
  const auto period = period_of(request, why);
  if (!period) return reply(error_response(400, why));
  struct Read {
    std::vector<store::ReportedRecord> records;
    std::uint64_t failure_reports = 0;
  };
  auto read = std::make_shared<Read>();
  context->reader->read(
      [read, p = *period](store::Database& db) -> std::optional<std::string> {
        if (auto error = store::ingested_records(db, p.domain, p.since, read->records)) return error;
        return store::count_failure_reports(db, p.domain, p.since, read->failure_reports);
      },
      [context, read, p = *period, reply](const std::optional<std::string>& error) {
        if (error) return reply(unavailable(*error));
        auto summary = std::make_shared<report::Summary>(report::summarize(p.domain, read->records));
        summary->failure_reports = read->failure_reports;
        const auto answer = [summary, p, reply] {
          report::judge(*summary);
          reply(json_response(report::summary_json(*summary, p.days, p.since)));
        };
        auto resolver = context->options.resolver ? context->options.resolver() : nullptr;
        if (!resolver) return answer();
        // The answer keeps the resolver alive until the last lookup is in (a reload may drop it meanwhile).
        report::lookup_ptrs(*resolver, *summary, [answer, resolver] { answer(); });
      });
}

void timeline_page(const std::shared_ptr<Context>& context, const Request& request, const Reply& reply) {
  std::string why;
  const auto period = period_of(request, why);
  if (!period) return reply(error_response(400, why));
  struct Read {
    std::vector<store::ReportedRecord> records;
    std::vector<store::DayCount> history;
  };
  auto read = std::make_shared<Read>();
  context->reader->read(
      [read, p = *period](store::Database& db) -> std::optional<std::string> {
        if (auto error = store::ingested_records(db, p.domain, p.since, read->records)) return error;
        return store::messages_by_day(db, p.domain, p.since, read->history);
      },
      [read, p = *period, reply](const std::optional<std::string>& error) {
        if (error) return reply(unavailable(*error));
        Json reports = Json::array();
        for (const auto& day : report::timeline(read->records)) {
          reports.push_back({{"day", report::format_day(day.day)}, {"pass", day.dmarc.pass}, {"fail", day.dmarc.fail}});
        }
        std::map<std::int64_t, std::map<std::string, std::uint64_t>> by_day;
        for (const auto& count : read->history) by_day[count.day][count.result] += count.messages;
        Json history = Json::array();
        for (const auto& [day, results] : by_day) {
          history.push_back({{"day", report::format_day(day)}, {"results", results}});
        }
        reply(json_response(
            {{"domain", p.domain}, {"days", p.days}, {"since", p.since}, {"reports", reports}, {"history", history}}));
      });
}

Json received_json(const store::FailureReport& r) {
  return {{"time", r.time},
          {"reporter", r.reporter},
          {"source_ip", r.source_ip},
          {"auth_failure", r.auth_failure},
          {"header_from", r.header_from},
          {"envelope_from", r.original_mail_from},
          {"rcpt_to", r.original_rcpt_to},
          {"subject", r.subject},
          {"message_id", r.message_id},
          {"delivery_result", r.delivery_result},
          {"identity_alignment", r.identity_alignment},
          {"dkim", {{"domain", r.dkim_domain}, {"selector", r.dkim_selector}}},
          {"authentication_results", r.authentication_results}};
}

void failures_page(const std::shared_ptr<Context>& context, const Request& request, const Reply& reply) {
  std::string why;
  const auto period = period_of(request, why);
  if (!period) return reply(error_response(400, why));
  struct Read {
    std::vector<store::FailureReport> received;
    std::vector<store::Row> rows;
  };
  auto read = std::make_shared<Read>();
  context->reader->read(
      [read, p = *period](store::Database& db) -> std::optional<std::string> {
        if (auto error = store::failure_reports(db, p.domain, p.since, kRecentFailures, read->received)) return error;
        return store::recent_failures(db, p.domain, kRecentFailures, read->rows);
      },
      [read, p = *period, reply](const std::optional<std::string>& error) {
        if (error) return reply(unavailable(*error));
        Json received = Json::array();
        for (const auto& r : read->received) received.push_back(received_json(r));
        Json failures = Json::array();
        for (const auto& r : read->rows) {
          Json dkim = Json::array();
          for (const auto& d : r.dkim) {
            dkim.push_back(
                {{"domain", d.domain}, {"selector", d.selector}, {"result", d.result}, {"aligned", d.aligned}});
          }
          failures.push_back({{"time", r.time},
                              {"source_ip", r.source_ip},
                              {"header_from", r.header_from},
                              {"envelope_from", r.envelope_from},
                              {"spf", {{"result", r.spf_result}, {"domain", r.spf_domain}, {"aligned", r.spf_aligned}}},
                              {"dkim", dkim},
                              {"policy", r.policy.p},
                              {"disposition", r.disposition}});
        }
        reply(json_response({{"domain", p.domain},
                             {"days", p.days},
                             {"since", p.since},
                             {"limit", kRecentFailures},
                             {"received", received},
                             {"history", failures}}));
      });
}

void tls_page(const std::shared_ptr<Context>& context, const Request& request, const Reply& reply) {
  std::string why;
  const auto period = period_of(request, why);
  if (!period) return reply(error_response(400, why));
  auto orgs = std::make_shared<std::vector<store::TlsOrgSummary>>();
  context->reader->read(
      [orgs, p = *period](store::Database& db) { return store::tls_summary(db, p.domain, p.since, *orgs); },
      [orgs, p = *period, reply](const std::optional<std::string>& error) {
        if (error) return reply(unavailable(*error));
        Json organizations = Json::array();
        for (const auto& o : *orgs) {
          organizations.push_back({{"organization", o.org_name},
                                   {"reports", o.reports},
                                   {"successful", o.successful},
                                   {"failed", o.failed},
                                   {"result_types", o.result_types}});
        }
        reply(json_response(
            {{"domain", p.domain}, {"days", p.days}, {"since", p.since}, {"organizations", organizations}}));
      });
}

Response asset_response(const Asset& asset) {
  Response response;
  response.content_type = std::string(asset.content_type);
  response.body = std::string(asset.body);
  // Everything the page loads comes from here; report values are inserted as text, never as markup.
  response.fields.emplace_back("Content-Security-Policy",
                               "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  response.fields.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace

void add_dashboard(Router& router, std::shared_ptr<StoreReader> reader, DashboardOptions options) {
  auto context = std::make_shared<Context>(Context{std::move(reader), std::move(options)});
  for (const auto& asset : assets()) {
    router.add(std::string(asset.path), [&asset](const Request&) { return asset_response(asset); });
    if (asset.path == "/dashboard") {
      router.add("/", [&asset](const Request&) { return asset_response(asset); });
    }
  }
  using Handler = void (*)(const std::shared_ptr<Context>&, const Request&, const Reply&);
  constexpr std::pair<std::string_view, Handler> kPages[] = {
      {"/api/domains", domains_page},
      {"/api/summary", summary_page},
      {"/api/timeline", timeline_page},
      {"/api/failures", failures_page},
      {"/api/tls", tls_page},
  };
  for (const auto& [path, handler] : kPages) {
    router.add_deferred(std::string(path), [context, handler = handler](const Request& request, const Reply& reply) {
      handler(context, request, reply);
    });
  }
}

}  // namespace domainauth::web
