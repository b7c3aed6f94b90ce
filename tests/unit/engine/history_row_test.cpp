// The history row of a verified message: every field a DMARC aggregate report
// row needs (RFC 9990 2.1: row, policy_published, auth_results) taken from the
// outcome, the SPF and DKIM results and the connection.
#include "engine/history_row.hpp"

#include <gtest/gtest.h>

namespace domainauth::engine {
namespace {

Results verified() {
  Results r;
  r.mail_from = "bounce@mail.example.com";
  spf::Outcome spf;
  spf.result = spf::Result::pass;
  spf.domain = "mail.example.com";
  r.spf = spf;
  dkim::SignatureResult good;
  good.result = dkim::Result::pass;
  good.domain = "example.com";
  good.selector = "s2026";
  dkim::SignatureResult other;
  other.result = dkim::Result::fail;
  other.domain = "esp.example";
  other.selector = "k1";
  r.dkim = {good, other};
  dmarc::Outcome d;
  d.result = dmarc::Result::pass;
  d.author_domain = "news.example.com";
  d.policy_domain = "example.com";
  auto record = dmarc::parse_record("v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; pct=50; t=y; fo=d:1").record;
  d.record = record;
  d.disposition = dmarc::Policy::none;
  d.spf = {"mail.example.com", true, true};
  d.dkim = {{"example.com", true, true}, {"esp.example", false, false}};
  r.dmarc = d;
  return r;
}

TEST(HistoryRow, CarriesEveryReportField) {
  const Client client{net::IpAddress::parse("192.0.2.25"), "mx.sender.example", ""};
  const auto row = history_row(verified(), client, 1790000000, dmarc::Policy::none);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->time, 1790000000);
  EXPECT_EQ(row->source_ip, "192.0.2.25");
  EXPECT_EQ(row->header_from, "news.example.com");
  EXPECT_EQ(row->envelope_from, "mail.example.com");
  EXPECT_EQ(row->spf_result, "pass");
  EXPECT_EQ(row->spf_domain, "mail.example.com");
  EXPECT_TRUE(row->spf_aligned);
  EXPECT_EQ(row->dkim, (std::vector<store::DkimRow>{{"pass", "example.com", "s2026", true},
                                                     {"fail", "esp.example", "k1", false}}));
  EXPECT_EQ(row->policy_domain, "example.com");
  EXPECT_EQ(row->policy, (store::PublishedPolicy{"reject", "quarantine", "reject", 50, "s", "r", true, "1:d"}));
  EXPECT_EQ(row->disposition, "none");
  EXPECT_EQ(row->result, "pass");
}

TEST(HistoryRow, NullSenderHasNoEnvelopeDomainAndUnknownClientNoAddress) {
  auto r = verified();
  r.mail_from.clear();
  r.spf.reset();
  const auto row = history_row(r, Client{}, 1, dmarc::Policy::none);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->envelope_from, "");
  EXPECT_EQ(row->source_ip, "");
  EXPECT_EQ(row->spf_result, "none");
}

TEST(HistoryRow, NothingWithoutAPublishedPolicy) {
  auto r = verified();
  r.dmarc->record.reset();
  r.dmarc->policy_domain.clear();
  r.dmarc->result = dmarc::Result::none;
  EXPECT_FALSE(history_row(r, Client{}, 1, dmarc::Policy::none));
  r.dmarc.reset();
  EXPECT_FALSE(history_row(r, Client{}, 1, dmarc::Policy::none));
}

// RFC 9990 policy_evaluated disposition: what was applied, after local policy.
TEST(HistoryRow, DispositionIsTheAppliedOneNotTheOwnersPolicy) {
  auto r = verified();
  r.dmarc->result = dmarc::Result::fail;
  r.dmarc->disposition = dmarc::Policy::reject;
  const Client client{net::IpAddress::parse("192.0.2.25"), "mx.sender.example", ""};
  EXPECT_EQ(history_row(r, client, 1790000000, dmarc::Policy::quarantine)->disposition, "quarantine");
  EXPECT_EQ(history_row(r, client, 1790000000, dmarc::Policy::none)->disposition, "none");
  EXPECT_EQ(history_row(r, client, 1790000000, dmarc::Policy::reject)->disposition, "reject");
}

}  // namespace
}  // namespace domainauth::engine
