// The families of /metrics (render.hpp): names, labels and help texts.
#include "metrics/render.hpp"

#include "metrics/exposition.hpp"

namespace domainauth::metrics {

namespace {

using Type = Writer::Type;

void write_queue(Writer& w, std::string_view queue, const QueueSample& sample, std::string_view what) {
  const std::string depth = "domainauth_" + std::string(queue) + "_queue_depth";
  const std::string dropped = "domainauth_" + std::string(queue) + "_dropped_total";
  w.family(depth, Type::gauge, std::string(what) + " waiting in the queue");
  w.sample(depth, {}, static_cast<std::uint64_t>(sample.depth));
  w.family(dropped, Type::counter, std::string(what) + " dropped: queue full, or not handled at shutdown");
  w.sample(dropped, {}, sample.dropped);
}

}  // namespace

std::string render(const Counters& c, const Sampled& sampled) {
  Writer w;
  w.family("domainauth_messages_total", Type::counter,
           "Messages the milter answered at end of message, by direction and action");
  for (std::size_t d = 0; d < kDirectionNames.size(); ++d) {
    for (std::size_t a = 0; a < kActionNames.size(); ++a) {
      w.sample("domainauth_messages_total", {{"direction", kDirectionNames[d]}, {"action", kActionNames[a]}},
               c.messages[d][a]);
    }
  }
  w.family("domainauth_dkim_signatures_total", Type::counter, "DKIM signatures made, by algorithm");
  for (std::size_t a = 0; a < kAlgorithmNames.size(); ++a) {
    w.sample("domainauth_dkim_signatures_total", {{"algorithm", kAlgorithmNames[a]}}, c.signatures[a]);
  }
  w.family("domainauth_verification_results_total", Type::counter,
           "Results of the messages the milter verified, by method and RFC 8601 result (dkim: one per signature)");
  for (std::size_t m = 0; m < kMethodNames.size(); ++m) {
    for (std::size_t r = 0; r < kResultNames.size(); ++r) {
      w.sample("domainauth_verification_results_total", {{"method", kMethodNames[m]}, {"result", kResultNames[r]}},
               c.results[m][r]);
    }
  }
  w.family("domainauth_dns_queries_total", Type::counter, "DNS queries sent (cache misses), by final status");
  for (std::size_t s = 0; s < kDnsStatusNames.size(); ++s) {
    w.sample("domainauth_dns_queries_total", {{"status", kDnsStatusNames[s]}}, c.dns_queries[s]);
  }
  w.family("domainauth_dns_cache_hits_total", Type::counter, "DNS lookups answered from the cache");
  w.sample("domainauth_dns_cache_hits_total", {}, c.dns_cache_hits);
  w.family("domainauth_dns_query_duration_seconds", Type::histogram,
           "Time from sending a DNS query to its final answer, retries and TCP included");
  w.histogram("domainauth_dns_query_duration_seconds", kDnsBuckets, c.dns_seconds);
  w.family("domainauth_message_duration_seconds", Type::histogram,
           "Time the MTA waited for the milter's end-of-message reply");
  w.histogram("domainauth_message_duration_seconds", kMessageBuckets, c.message_seconds);
  w.family("domainauth_milter_sessions", Type::gauge, "Milter connections open");
  w.sample("domainauth_milter_sessions", {}, static_cast<std::uint64_t>(sampled.milter_sessions));
  w.family("domainauth_policy_sessions", Type::gauge, "Policy service connections open");
  w.sample("domainauth_policy_sessions", {}, static_cast<std::uint64_t>(sampled.policy_sessions));
  if (sampled.history) write_queue(w, "history", *sampled.history, "DMARC history rows");
  if (sampled.failure_reports) write_queue(w, "failure_report", *sampled.failure_reports, "Failure reports");
  if (sampled.ingest) {
    w.family("domainauth_reports_ingested_total", Type::counter,
             "Reports report ingest stored in the history, by kind: DMARC aggregate, DMARC failure or SMTP TLS "
             "(every host sharing it; duplicates not counted)");
    w.sample("domainauth_reports_ingested_total", {{"kind", "aggregate"}}, sampled.ingest->stored);
    w.sample("domainauth_reports_ingested_total", {{"kind", "failure"}}, sampled.ingest->failures);
    w.sample("domainauth_reports_ingested_total", {{"kind", "tls"}}, sampled.ingest->tls);
    w.family("domainauth_reports_refused_total", Type::counter,
             "Report mails, files or documents report ingest refused as unreadable (every host sharing the history)");
    w.sample("domainauth_reports_refused_total", {}, sampled.ingest->refused);
  }
  return w.text();
}

}  // namespace domainauth::metrics
