// /metrics: every family domainauth exports (README "Metrics" lists them), from
// the event loop's counters and the values sampled from their owners at scrape
// time (sessions open, the history and failure report queues, whose worker
// threads keep their own counts, and the history's counts of reports ingested
// and refused).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "metrics/counters.hpp"

namespace domainauth::metrics {

struct QueueSample {
  std::size_t depth = 0;     // waiting now
  std::uint64_t dropped = 0; // lost since start
};

// What report ingest (a separate process) left in the history, read at scrape time.
struct IngestSample {
  std::uint64_t stored = 0;   // aggregate reports stored
  std::uint64_t refused = 0;  // mails, files or documents refused
  std::uint64_t failures = 0;  // failure reports stored
  std::uint64_t tls = 0;       // SMTP TLS reports stored
};

struct Sampled {
  std::size_t milter_sessions = 0;
  std::size_t policy_sessions = 0;
  std::optional<QueueSample> history;          // none: no history configured
  std::optional<QueueSample> failure_reports;  // none: failure reports off
  std::optional<IngestSample> ingest;          // none: no history, or it could not be read
};

// The text exposition (exposition.hpp's format) of all of them.
[[nodiscard]] std::string render(const Counters& counters, const Sampled& sampled);

}  // namespace domainauth::metrics
