// /metrics as a whole: every family present once, counts where the counters
// put them, the queue families only when the queue exists, the ingest counts
// only when the history was read.
#include <gtest/gtest.h>

#include "metrics/render.hpp"

namespace domainauth::metrics {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Render, CountersLandUnderTheirLabels) {
  Counters c;
  c.message(Direction::verify, Action::reject, 0.002);
  c.message(Direction::verify, Action::reject, 0.003);
  c.message(Direction::sign, Action::accept, 0.3);
  c.signature(Algorithm::ed25519_sha256);
  c.result(Method::dmarc, "fail");
  c.result(Method::spf, "bogus");  // not an RFC 8601 token: not counted
  c.dns_query(DnsStatus::nxdomain, 0.004);
  const auto text = render(c, {3, 4, QueueSample{5, 6}, std::nullopt});
  EXPECT_NE(text.find("domainauth_messages_total{direction=\"verify\",action=\"reject\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("domainauth_messages_total{direction=\"sign\",action=\"accept\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("domainauth_dkim_signatures_total{algorithm=\"ed25519-sha256\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("domainauth_verification_results_total{method=\"dmarc\",result=\"fail\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(count(text, "method=\"spf\",result=\"pass\"} 0\n"), 1u);
  EXPECT_NE(text.find("domainauth_dns_queries_total{status=\"nxdomain\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("domainauth_message_duration_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("domainauth_message_duration_seconds_bucket{le=\"0.0025\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("domainauth_milter_sessions 3\n"), std::string::npos);
  EXPECT_NE(text.find("domainauth_policy_sessions 4\n"), std::string::npos);
  EXPECT_NE(text.find("domainauth_history_queue_depth 5\n"), std::string::npos);
  EXPECT_NE(text.find("domainauth_history_dropped_total 6\n"), std::string::npos);
  EXPECT_EQ(text.find("failure_report"), std::string::npos);
  EXPECT_EQ(text.find("domainauth_reports_"), std::string::npos) << "no ingest counts read: no families";
}

TEST(Render, IngestCountsFromTheHistory) {
  const auto text = render(Counters{}, {0, 0, QueueSample{}, std::nullopt, IngestSample{12, 3, 5, 7}});
  EXPECT_NE(text.find("# TYPE domainauth_reports_ingested_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("\ndomainauth_reports_ingested_total{kind=\"aggregate\"} 12\n"), std::string::npos);
  EXPECT_NE(text.find("\ndomainauth_reports_ingested_total{kind=\"failure\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("\ndomainauth_reports_ingested_total{kind=\"tls\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("\ndomainauth_reports_refused_total 3\n"), std::string::npos);
}

TEST(Render, EachFamilyIsDeclaredOnce) {
  const auto text = render(Counters{}, {0, 0, QueueSample{}, QueueSample{}, IngestSample{}});
  for (const std::string family :
       {"domainauth_messages_total", "domainauth_dkim_signatures_total", "domainauth_verification_results_total",
        "domainauth_dns_queries_total", "domainauth_dns_cache_hits_total", "domainauth_dns_query_duration_seconds",
        "domainauth_message_duration_seconds", "domainauth_milter_sessions", "domainauth_policy_sessions",
        "domainauth_history_queue_depth", "domainauth_history_dropped_total", "domainauth_failure_report_queue_depth",
        "domainauth_failure_report_dropped_total", "domainauth_reports_ingested_total",
        "domainauth_reports_refused_total"}) {
    EXPECT_EQ(count(text, "# TYPE " + family + " "), 1u) << family;
  }
}

TEST(Counters, TokensAndAlgorithmsMapBothWays) {
  for (std::size_t i = 0; i < kResultNames.size(); ++i) {
    EXPECT_EQ(result_from_token(kResultNames[i]), static_cast<Result>(i));
  }
  EXPECT_FALSE(result_from_token("PASS"));
  EXPECT_EQ(algorithm_from_name("rsa-sha256"), Algorithm::rsa_sha256);
  EXPECT_FALSE(algorithm_from_name("rsa-sha1"));
}

}  // namespace
}  // namespace domainauth::metrics
