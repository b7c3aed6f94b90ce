// Report destinations: mailto: URIs and their "!size" limits (RFC 7489 6.2,
// 7.2.1.1), the external destination verification (RFC 9990 section 4) and the
// aggregate destinations of a policy domain's record.
#include "report/destination.hpp"
#include "report/send.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "dns/sync.hpp"
#include "support/memory_resolver.hpp"

namespace domainauth::report {
namespace {

std::vector<dmarc::ReportUri> uris(const std::string& rua) {
  const auto parsed = dmarc::parse_record("v=DMARC1; p=none; rua=" + rua);
  return parsed.record->rua;
}

TEST(MailDestinations, Rfc7489OnlyMailtoWithSizeLimitsDuplicatesOnce) {
  const auto selection = mail_destinations(
      uris("mailto:a@example.com!10k,https://example.com/r,mailto:b@Example.NET,mailto:a@example.com"));
  ASSERT_EQ(selection.mail.size(), 2u);
  EXPECT_EQ(selection.mail[0].mailbox, "a@example.com");
  EXPECT_EQ(selection.mail[0].host, "example.com");
  EXPECT_EQ(selection.mail[0].max_size, 10u * 1024u);
  EXPECT_EQ(selection.mail[1].host, "example.net");
  EXPECT_EQ(selection.mail[1].max_size, std::nullopt);
  ASSERT_EQ(selection.skipped.size(), 1u);
  EXPECT_NE(selection.skipped[0].find("https://example.com/r"), std::string::npos);
}

TEST(MailDestinations, Rfc7489MailtoWithoutDomainIsSkipped) {
  const auto selection = mail_destinations(uris("mailto:nobody"));
  EXPECT_TRUE(selection.mail.empty());
  EXPECT_EQ(selection.skipped.size(), 1u);
}

TEST(WithinSizeLimit, Rfc7489ReportLargerThanLimitIsNotSent) {
  struct Case {
    const char* uri;
    std::size_t size;
    bool sent;
  } cases[] = {{"mailto:a@example.com!1k", 1024, true},     {"mailto:a@example.com!1k", 1025, false},
               {"mailto:a@example.com!2m", 2u << 20U, true}, {"mailto:a@example.com!100", 101, false},
               {"mailto:a@example.com", 1u << 30U, true}};
  for (const auto& c : cases) {
    const auto selection = mail_destinations(uris(c.uri));
    ASSERT_EQ(selection.mail.size(), 1u) << c.uri;
    EXPECT_EQ(within_size_limit(selection.mail[0], c.size), c.sent) << c.uri << " " << c.size;
  }
}

class VerifyDestination : public ::testing::Test {
 protected:
  Verification verify(const std::string& policy, const std::string& rua, ReportKind kind = ReportKind::aggregate) {
    const auto destination = mail_destinations(uris(rua)).mail.at(0);
    return dns::run_sync(io_, verify_destination(zone_, options_, policy, destination, kind));
  }
  asio::io_context io_;
  testing::MemoryResolver zone_{io_.get_executor()};
  dmarc::Options options_;
};

TEST_F(VerifyDestination, Rfc9990SameOrganizationalDomainNeedsNoRecord) {
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=none");
  const auto v = verify("mail.example.com", "mailto:dmarc@reports.example.com");
  EXPECT_EQ(v.result, Authorization::authorized) << v.reason;
  ASSERT_EQ(v.destinations.size(), 1u);
  EXPECT_EQ(v.destinations[0].mailbox, "dmarc@reports.example.com");
  for (const auto& name : zone_.log()) EXPECT_EQ(name.find("_report._dmarc"), std::string::npos) << name;
}

TEST_F(VerifyDestination, Rfc9990ForeignHostWithV1RecordIsAuthorized) {
  zone_.add_txt("example.com._report._dmarc.thirdparty.example.net", "v=DMARC1");
  const auto v = verify("example.com", "mailto:agg@thirdparty.example.net");
  EXPECT_EQ(v.result, Authorization::authorized) << v.reason;
  EXPECT_EQ(v.destinations.at(0).mailbox, "agg@thirdparty.example.net");
}

TEST_F(VerifyDestination, Rfc9990ForeignHostWithoutRecordIsNotAuthorized) {
  zone_.add_txt("example.com._report._dmarc.thirdparty.example.net", "some other text");
  const auto other = verify("example.com", "mailto:agg@thirdparty.example.net");
  EXPECT_EQ(other.result, Authorization::not_authorized);
  EXPECT_TRUE(other.destinations.empty());
  const auto missing = verify("example.org", "mailto:agg@thirdparty.example.net");
  EXPECT_EQ(missing.result, Authorization::not_authorized);
}

TEST_F(VerifyDestination, Rfc9990V1MustBeFirstTag) {
  zone_.add_txt("example.com._report._dmarc.thirdparty.example.net", "p=none; v=DMARC1");
  EXPECT_EQ(verify("example.com", "mailto:agg@thirdparty.example.net").result, Authorization::not_authorized);
}

TEST_F(VerifyDestination, Rfc9990DnsFailureIsTemperror) {
  zone_.set_servfail("example.com._report._dmarc.thirdparty.example.net");
  EXPECT_EQ(verify("example.com", "mailto:agg@thirdparty.example.net").result, Authorization::temperror);
}

TEST_F(VerifyDestination, Rfc9990SameHostOverrideReplacesUri) {
  zone_.add_txt("example.com._report._dmarc.thirdparty.example.net",
                "v=DMARC1; rua=mailto:other@thirdparty.example.net!5m; ruf=mailto:f@elsewhere.example");
  const auto v = verify("example.com", "mailto:agg@thirdparty.example.net");
  EXPECT_EQ(v.result, Authorization::authorized) << v.reason;
  ASSERT_EQ(v.destinations.size(), 1u);
  EXPECT_EQ(v.destinations[0].mailbox, "other@thirdparty.example.net");
  EXPECT_EQ(v.destinations[0].max_size, 5u << 20U);
}

TEST_F(VerifyDestination, Rfc9990OverrideToAnotherHostUsesNeither) {
  zone_.add_txt("example.com._report._dmarc.thirdparty.example.net",
                "v=DMARC1; rua=mailto:x@elsewhere.example; ruf=mailto:f@thirdparty.example.net");
  const auto aggregate = verify("example.com", "mailto:agg@thirdparty.example.net");
  EXPECT_EQ(aggregate.result, Authorization::not_authorized);
  EXPECT_TRUE(aggregate.destinations.empty());
  // ruf= is the override of failure reports: same host there.
  const auto failure = verify("example.com", "mailto:agg@thirdparty.example.net", ReportKind::failure);
  EXPECT_EQ(failure.result, Authorization::authorized) << failure.reason;
  EXPECT_EQ(failure.destinations.at(0).mailbox, "f@thirdparty.example.net");
}

TEST_F(VerifyDestination, Rfc9990NameBeyondDnsLimitsIsNotAuthorized) {
  const std::string label(60, 'a');
  const std::string policy = label + "." + label + "." + label + ".example";
  const auto v = verify(policy, "mailto:agg@" + label + ".example.net");
  EXPECT_EQ(v.result, Authorization::not_authorized);
  EXPECT_NE(v.reason.find("longer"), std::string::npos);
}

class AggregateDestinations : public VerifyDestination {
 protected:
  Destinations of(const std::string& domain) {
    return dns::run_sync(io_, aggregate_destinations(zone_, options_, domain));
  }
};

TEST_F(AggregateDestinations, Rfc9990OnlyVerifiedMailtoUrisOfTheRecord) {
  zone_.add_txt("_dmarc.example.com",
                "v=DMARC1; p=none; rua=mailto:d@example.com,https://example.com/r,mailto:x@foreign.example,"
                "mailto:y@ok.example");
  zone_.add_txt("example.com._report._dmarc.ok.example", "v=DMARC1");
  const auto d = of("example.com");
  EXPECT_FALSE(d.temperror);
  ASSERT_EQ(d.authorized.size(), 2u);
  EXPECT_EQ(d.authorized[0].mailbox, "d@example.com");
  EXPECT_EQ(d.authorized[1].mailbox, "y@ok.example");
  ASSERT_EQ(d.notes.size(), 2u);
  EXPECT_NE(d.notes[0].find("https://example.com/r"), std::string::npos);
  EXPECT_NE(d.notes[1].find("mailto:x@foreign.example: not_authorized"), std::string::npos) << d.notes[1];
}

TEST_F(AggregateDestinations, NoRecordOrNoRuaMeansNoDestination) {
  zone_.add_txt("_dmarc.example.org", "v=DMARC1; p=reject");
  for (const char* domain : {"example.net", "example.org"}) {
    const auto d = of(domain);
    EXPECT_TRUE(d.authorized.empty()) << domain;
    EXPECT_FALSE(d.temperror) << domain;
    EXPECT_FALSE(d.reason.empty()) << domain;
  }
}

TEST_F(AggregateDestinations, DnsFailureIsTemperrorToRetry) {
  zone_.set_servfail("_dmarc.example.com");
  const auto d = of("example.com");
  EXPECT_TRUE(d.temperror);
  EXPECT_TRUE(d.authorized.empty());
}

}  // namespace
}  // namespace domainauth::report
