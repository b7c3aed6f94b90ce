// Reading received failure reports (report/ingest_failure.hpp, with the MIME
// walk of report/ingest_mail.hpp): the RFC 6591 appendix B example, a
// Google-style and a Yahoo-style report (tests/data/reports), what is refused,
// the dedup key and the bounds on hostile values.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "report/ingest_failure.hpp"
#include "report/ingest_mail.hpp"

namespace domainauth::report {
namespace {

constexpr std::int64_t kNow = 1796691009;  // Tue, 8 Dec 2026 00:50:09 +0000

std::string sample(const std::string& name) {
  std::ifstream in(std::string(DOMAINAUTH_REPORT_SAMPLES) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), {}};
}

// The one failure report of a mail, parsed.
ParsedFailure parse_mail(const std::string& mail) {
  const auto found = documents_from_mail(mail);
  EXPECT_EQ(found.feedback.size(), 1U);
  EXPECT_TRUE(found.errors.empty()) << found.errors.front();
  if (found.feedback.empty()) return {};
  return parse_failure(found.feedback.front(), kNow);
}

std::string report_mail(const std::string& fields, const std::string& original = "From: a@example.com\r\n") {
  std::string out = "From: reports@receiver.test\r\nContent-Type: multipart/report; report-type=feedback-report;"
                    " boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\n"
                    "Content-Type: message/feedback-report\r\n\r\n" + fields + "--b\r\n";
  if (!original.empty()) out += "Content-Type: text/rfc822-headers\r\n\r\n" + original + "--b\r\n";
  return out.substr(0, out.size() - 2) + "--\r\n";
}

const std::string kMinimal = "Feedback-Type: auth-failure\r\nAuth-Failure: dmarc\r\nReported-Domain: example.com\r\n";

TEST(IngestFailure, Rfc6591AppendixBExample) {
  const auto parsed = parse_mail(sample("rfc6591-bodyhash.eml"));
  ASSERT_TRUE(parsed.report) << parsed.error;
  const auto& r = *parsed.report;
  EXPECT_EQ(r.auth_failure, "bodyhash");
  EXPECT_EQ(r.reported_domain, "a.sender.example");
  EXPECT_EQ(r.source_ip, "192.0.2.1");
  EXPECT_EQ(r.time, 1318104958) << "Arrival-Date: 8 Oct 2011 20:15:58 +0000 (GMT)";
  EXPECT_EQ(r.original_mail_from, "anexample.reply@a.sender.example");
  EXPECT_EQ(r.authentication_results, "mta1011.mail.tp2.receiver.example; dkim=fail (bodyhash) header.d=sender.example")
      << "the folded field unfolded";
  EXPECT_EQ(r.dkim_domain, "sender.example");
  EXPECT_EQ(r.dkim_identity, "@sender.example");
  EXPECT_EQ(r.dkim_selector, "testkey");
  EXPECT_EQ(r.reporter, "mail.receiver.example") << "no Reporting-MTA: the report mail's From domain";
  EXPECT_EQ(r.header_from, "anexample@a.sender.example");
  EXPECT_EQ(r.subject, "You have a new bill from your bank");
  EXPECT_EQ(r.message_id, "<87913910.1318094604546@out.sender.example>");
  EXPECT_EQ(r.date, "Sat, 8 Oct 2011 16:15:24 -0400 (EDT)");
  EXPECT_TRUE(r.key.starts_with("event:")) << r.key;
  EXPECT_TRUE(parsed.notes.empty()) << parsed.notes.front();
}

TEST(IngestFailure, GoogleStyleLowerCaseNamesAndABase64Original) {
  const auto parsed = parse_mail(sample("google-dmarc.eml"));
  ASSERT_TRUE(parsed.report) << parsed.error;
  const auto& r = *parsed.report;
  EXPECT_EQ(r.auth_failure, "dmarc");
  EXPECT_EQ(r.reported_domain, "example.com") << "EXAMPLE.COM in lower case";
  EXPECT_EQ(r.reporter, "mx.google.test") << "Reporting-MTA: dns; mx.google.test";
  EXPECT_EQ(r.reporting_mta, "dns; mx.google.test");
  EXPECT_EQ(r.original_rcpt_to, "<alice@gmail.test>, <bob@gmail.test>") << "every Original-Rcpt-To";
  EXPECT_EQ(r.identity_alignment, "dkim, spf");
  EXPECT_EQ(r.delivery_result, "reject");
  EXPECT_EQ(r.time, 1796662741);
  EXPECT_EQ(r.header_from, "\"Payroll\" <payroll@example.com>");
  EXPECT_EQ(r.message_id, "<fake.1234@forger.test>");
  for (const auto* value : {&r.header_from, &r.subject, &r.message_id, &r.date, &r.authentication_results}) {
    EXPECT_EQ(value->find("SECRET"), std::string::npos) << "the original's body is never kept: " << *value;
  }
}

TEST(IngestFailure, YahooStyleWithoutOriginalMessyButStored) {
  const auto parsed = parse_mail(sample("yahoo-no-original.eml"));
  ASSERT_TRUE(parsed.report) << parsed.error;
  const auto& r = *parsed.report;
  EXPECT_EQ(r.auth_failure, "spf") << "AUTH-FAILURE: SPF";
  EXPECT_EQ(r.reporter, "yahoo.test");
  EXPECT_EQ(r.source_ip, "") << "not-an-address is dropped";
  EXPECT_EQ(r.original_mail_from, "caf\xEF\xBF\xBD@forger.test") << "bad UTF-8 replaced";
  EXPECT_EQ(r.time, kNow) << "no Arrival-Date: the time it was read";
  EXPECT_EQ(r.delivery_result, "spam");
  EXPECT_TRUE(r.key.starts_with("content:")) << "no Message-ID, no Arrival-Date: a content hash";
  const std::vector<std::string> want{"1 line(s) that are no field skipped", "1 octet(s) of bad UTF-8 replaced",
                                      "no copy of the original header (RFC 6591 3.1 third part)",
                                      "Source-IP is not an address: not-an-address",
                                      "no Arrival-Date: placed at the time it was read"};
  EXPECT_EQ(parsed.notes, want);
}

TEST(IngestFailure, RefusesWhatIsNoAuthFailureReport) {
  struct Case {
    const char* name;
    std::string mail;
    std::string error;
  };
  const Case cases[] = {
      {"abuse", sample("abuse.eml"),
       "Feedback-Type abuse is not an authentication failure report (RFC 6591 auth-failure)"},
      {"far future", sample("future.eml"), "Arrival-Date Fri, 1 Jan 2100 00:00:00 +0000 is in the future"},
      {"no Feedback-Type", report_mail("Auth-Failure: dmarc\r\n"), "no Feedback-Type field (RFC 5965 3.1)"},
      {"no Auth-Failure", report_mail("Feedback-Type: auth-failure\r\nReported-Domain: example.com\r\n"),
       "no Auth-Failure field (RFC 6591 3.2.1)"},
      {"no domain", report_mail("Feedback-Type: auth-failure\r\nAuth-Failure: spf\r\nReported-Domain: a b\r\n", ""),
       "no Reported-Domain and no From domain in the original header: no domain to file it under"},
      {"no feedback part", report_mail("", ""), "a feedback report without its message/feedback-report part"},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_mail(c.mail);
    EXPECT_FALSE(parsed.report) << c.name;
    EXPECT_EQ(parsed.error, c.error) << c.name;
  }
}

TEST(IngestFailure, DomainFromTheOriginalWhenReportedDomainIsMissing) {
  const auto parsed = parse_mail(report_mail("Feedback-Type: auth-failure\r\nAuth-Failure: dkim\r\n",
                                             "From: \"X\" <x@Mail.Example.ORG>\r\nSubject: s\r\n"));
  ASSERT_TRUE(parsed.report) << parsed.error;
  EXPECT_EQ(parsed.report->reported_domain, "mail.example.org");
  EXPECT_NE(std::find(parsed.notes.begin(), parsed.notes.end(),
                      "no Reported-Domain: filed under the original From domain mail.example.org"),
            parsed.notes.end());
}

// The dedup key: reporter, original Message-ID, Arrival-Date and method (ingest_failure.hpp).
TEST(IngestFailure, DedupKeyNamesTheEventNotTheWording) {
  const std::string original = "From: a@example.com\r\nMessage-ID: <m1@example.com>\r\n";
  const auto key = [&](const std::string& fields, const std::string& orig) {
    const auto parsed = parse_mail(report_mail(fields, orig));
    EXPECT_TRUE(parsed.report) << parsed.error;
    return parsed.report ? parsed.report->key : std::string();
  };
  const std::string event = kMinimal + "Reporting-MTA: dns; mx.r.test\r\nArrival-Date: 7 Dec 2026 10:00:00 +0000\r\n";
  const auto base = key(event, original);
  EXPECT_EQ(key(event + "User-Agent: other wording\r\n", original), base) << "re-sent with other fields";
  EXPECT_EQ(key(kMinimal + "Reporting-MTA: dns; MX.R.TEST\r\nArrival-Date: Mon, 7 Dec 2026 11:00:00 +0100\r\n",
                original),
            base)
      << "the same time written in another zone";
  EXPECT_EQ(key(event + "Auth-Failure: spf\r\n", original), base) << "the first Auth-Failure counts";
  const std::string spf = "Feedback-Type: auth-failure\r\nAuth-Failure: spf\r\nReported-Domain: example.com\r\n"
                          "Reporting-MTA: dns; mx.r.test\r\nArrival-Date: 7 Dec 2026 10:00:00 +0000\r\n";
  EXPECT_NE(key(spf, original), base) << "one report per failed method: both kept";
  EXPECT_NE(key(event, "From: a@example.com\r\nMessage-ID: <m2@example.com>\r\n"), base) << "another message";
  const auto no_id = key(event, "From: a@example.com\r\n");
  EXPECT_TRUE(no_id.starts_with("content:"));
  EXPECT_EQ(key(event, "From: a@example.com\r\n"), no_id) << "the same content, the same key";
  EXPECT_NE(key(event + "Source-IP: 192.0.2.9\r\n", "From: a@example.com\r\n"), no_id);
}

TEST(IngestFailure, HostileValuesAreBounded) {
  const std::string huge(20000, 'x');
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "X-Field-" + std::to_string(i) + ": v\r\n";
  const auto parsed = parse_mail(report_mail(kMinimal + "Original-Mail-From: " + huge + "\r\n" +
                                                 "Delivery-Result: \x01reject\r\nDKIM-Domain: a\x7f" "b\r\n",
                                             "Subject: " + huge + "\r\n" + many));
  ASSERT_TRUE(parsed.report) << parsed.error;
  EXPECT_EQ(parsed.report->original_mail_from.size(), kMaxFieldValue);
  EXPECT_EQ(parsed.report->subject.size(), kMaxFieldValue);
  EXPECT_EQ(parsed.report->delivery_result, "reject") << "control characters made spaces";
  EXPECT_EQ(parsed.report->dkim_domain, "a b");
  ASSERT_EQ(parsed.notes.size(), 3U) << "and no Arrival-Date";
  EXPECT_TRUE(parsed.notes[0].ends_with(" field(s) beyond 200 in a part ignored")) << parsed.notes[0];
  EXPECT_EQ(parsed.notes[1], "2 field value(s) cut to 1000 octets");
  // A feedback part over its bound is refused by the MIME walk, named.
  const auto found = documents_from_mail(report_mail(kMinimal + std::string(kMaxFeedbackPart, 'y') + "\r\n"));
  ASSERT_EQ(found.errors.size(), 1U);
  EXPECT_EQ(found.errors[0], "message/feedback-report part larger than 65536 octets");
  // The original's header block is kept up to kMaxOriginalHeader, at a line end.
  std::string long_header;
  while (long_header.size() < 2 * kMaxOriginalHeader) long_header += "Received: from x by y\r\n";
  const auto kept = documents_from_mail(report_mail(kMinimal, long_header + "From: late@example.com\r\n"));
  ASSERT_EQ(kept.feedback.size(), 1U);
  EXPECT_LE(kept.feedback[0].original.size(), kMaxOriginalHeader);
  EXPECT_TRUE(kept.feedback[0].original.ends_with("\r\n"));
}

TEST(IngestFailure, TheOriginalsBodyIsNotKept) {
  const auto found = documents_from_mail(sample("google-dmarc.eml"));
  ASSERT_EQ(found.feedback.size(), 1U);
  EXPECT_EQ(found.feedback[0].original.find("SECRET"), std::string::npos) << found.feedback[0].original;
  EXPECT_EQ(found.feedback[0].report_from, "noreply-dmarc-support@google.test");
}

}  // namespace
}  // namespace domainauth::report
