// The dashboard of `domainauth serve` ([web] listen): a page (/ and
// /dashboard, with its script, style sheet and Chart.js, web/assets.hpp) that
// shows per domain what the DMARC reports received say and what this
// installation's own history saw, from JSON pages it fetches:
//   /api/domains                      the configured signing domains and those reports (of any kind) came for
//   /api/summary?domain=D&days=N      report summary --json's object (report/summary_json.hpp)
//   /api/timeline?domain=D&days=N     per UTC day: the reports' DMARC pass / fail, the history's results
//   /api/failures?domain=D&days=N     the latest failure reports received for D in the period, and
//                                     the latest messages of D that failed DMARC in the history
//   /api/tls?domain=D&days=N          per sending organization, the SMTP TLS reports (RFC 8460) about D:
//                                     successful and failed sessions, failed sessions by result type
// Every database read runs on one reader thread over its own read-only
// connection (store::connect_reader), never on the event loop: at most
// kMaxQueuedReads wait (then 503), each statement bounded by kReadTimeout, and
// the listener's own timeout bounds the whole answer. PTR names come from the
// daemon's resolver on the event loop, as `report summary` looks them up.
// Reads untrusted input: the query string (domain checked, days a bounded number).
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dns/resolver.hpp"
#include "queue/bounded_worker.hpp"
#include "store/database.hpp"
#include "store/settings.hpp"
#include "web/router.hpp"

namespace domainauth::web {

inline constexpr std::size_t kMaxQueuedReads = 8;
inline constexpr auto kReadTimeout = std::chrono::seconds(5);
inline constexpr std::size_t kRecentFailures = 20;

// A read-only database connection on its own thread: read() runs a query
// there and hands its outcome back on the event loop.
class StoreReader {
 public:
  // The query: nullopt when it read what it wanted, else the database's error.
  using Query = std::function<std::optional<std::string>(store::Database&)>;
  // Runs on the event loop: nullopt, or the error (the database's, or "busy").
  using Done = std::function<void(std::optional<std::string> error)>;

  StoreReader(asio::any_io_executor loop, store::Settings settings);
  // query runs on the reader thread; done on the loop afterwards, or inside this
  // call when kMaxQueuedReads reads wait already.
  void read(Query query, Done done);
  void stop() { worker_.stop(); }

 private:
  struct Job {
    Query query;
    Done done;
  };
  bool run(std::vector<Job>& jobs);

  asio::any_io_executor loop_;
  store::Settings settings_;
  std::unique_ptr<store::Database> db_;  // the reader thread's; reopened after an error
  queue::BoundedWorker<Job> worker_;     // last: its thread uses the members above
};

struct DashboardOptions {
  store::Settings store;
  std::vector<std::string> domains;          // configured signing domains (lower case)
  // The resolver PTR names are asked of (the daemon's current one: a reload may
  // replace it), called on the event loop; empty: no PTR names.
  std::function<std::shared_ptr<dns::Resolver>()> resolver;
};

// Adds the dashboard's pages to router; reader serves their reads.
void add_dashboard(Router& router, std::shared_ptr<StoreReader> reader, DashboardOptions options);

}  // namespace domainauth::web
