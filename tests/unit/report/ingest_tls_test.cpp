// Reading received SMTP TLS reports (report/ingest_tls.hpp): the RFC 8460
// 4.8 example (tests/data/reports), what real senders vary, what is refused
// and the bounds on hostile documents.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "report/ingest_mail.hpp"
#include "report/ingest_tls.hpp"
#include "report/file.hpp"
#include "report/mime.hpp"

namespace domainauth::report {
namespace {

constexpr std::int64_t kNow = 1796691009;  // Tue, 8 Dec 2026 00:50:09 +0000

std::string example() {
  std::ifstream in(std::string(DOMAINAUTH_REPORT_SAMPLES) + "/rfc8460-example.json", std::ios::binary);
  EXPECT_TRUE(in);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A minimal report with policy members and summary replaced as given.
std::string report(const std::string& policies = R"([{"policy": {"policy-type": "sts", "policy-domain": "example.com"},
    "summary": {"total-successful-session-count": 10, "total-failure-session-count": 2}}])",
                   const std::string& range = R"({"start-datetime": "2026-12-06T00:00:00Z",
    "end-datetime": "2026-12-06T23:59:59Z"})") {
  return R"({"organization-name": "Mail Org", "report-id": "r-1", "date-range": )" + range +
         R"(, "policies": )" + policies + "}";
}

TEST(IngestTls, Rfc8460Example) {
  const auto parsed = parse_tls(example(), kNow);
  ASSERT_TRUE(parsed.report) << parsed.error;
  const auto& r = *parsed.report;
  EXPECT_EQ(r.org_name, "Company-X");
  EXPECT_EQ(r.report_id, "5065427c-23d3-47ca-b6e0-946ea0e8c4be");
  EXPECT_EQ(r.contact, "sts-reporting@company-x.example");
  EXPECT_EQ(r.begin, 1459468800);
  EXPECT_EQ(r.end, 1459555199);
  ASSERT_EQ(r.policies.size(), 1U);
  const auto& p = r.policies[0];
  EXPECT_EQ(p.policy_type, "sts");
  EXPECT_EQ(p.policy_domain, "company-y.example");
  EXPECT_EQ(p.policy_string, "version: STSv1\nmode: testing\nmx: *.mail.company-y.example\nmax_age: 86400");
  EXPECT_EQ(p.mx_host, "*.mail.company-y.example");
  EXPECT_EQ(p.successful, 5326U);
  EXPECT_EQ(p.failed, 303U);
  ASSERT_EQ(p.failures.size(), 3U);
  EXPECT_EQ(p.failures[0], (store::TlsFailure{"certificate-expired", "2001:db8:abcd:12::1",
                                              "mx1.mail.company-y.example", "", 100, ""}))
      << "addresses in RFC 5952 form";
  EXPECT_EQ(p.failures[1].receiving_ip, "203.0.113.56");
  EXPECT_EQ(p.failures[2].reason, "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED");
  EXPECT_TRUE(parsed.notes.empty());
}

TEST(IngestTls, WhatSendersVary) {
  // Upper-case words, an offset date, a fraction, no failure-details, no contact, a byte order
  // mark, bad UTF-8 in a string, a trailing dot on the domain, unknown members.
  const auto parsed = parse_tls(
      "\xEF\xBB\xBF" + report(R"([{"policy": {"policy-type": "TLSA", "policy-domain": "Example.COM.",
          "policy-string": ["3 1 1 ABCD"], "x-extra": 1},
          "summary": {"total-successful-session-count": 0, "total-failure-session-count": 0}}])",
                              R"({"start-datetime": "2026-12-06T01:00:00.123+01:00",
          "end-datetime": "2026-12-07T00:59:59+01:00"}, "x-note": "caf)" "\xE9" R"(")"),
      kNow);
  ASSERT_TRUE(parsed.report) << parsed.error;
  EXPECT_EQ(parsed.report->begin, 1796515200);
  EXPECT_EQ(parsed.report->policies[0].policy_type, "tlsa");
  EXPECT_EQ(parsed.report->policies[0].policy_domain, "example.com");
  EXPECT_TRUE(parsed.report->policies[0].failures.empty());
  EXPECT_EQ(parsed.notes, std::vector<std::string>{"1 octet(s) of bad UTF-8 replaced"});
}

TEST(IngestTls, RefusesWithTheReason) {
  struct Case {
    const char* name;
    std::string json;
    std::string error;
  };
  const std::string summary = R"("summary": {"total-successful-session-count": 1, "total-failure-session-count": 0})";
  const Case cases[] = {
      {"not JSON", "{\"organization-name\": ", "not valid JSON (RFC 8259)"},
      {"no org", R"({"report-id": "1"})", "no organization-name"},
      {"empty id", R"({"organization-name": "o", "report-id": " "})", "report-id is empty"},
      {"not a date", report(R"([])", R"({"start-datetime": "yesterday", "end-datetime": "x"})"),
       "start-datetime yesterday is not an RFC 3339 date-time"},
      {"future", report(R"([])", R"({"start-datetime": "2099-01-01T00:00:00Z", "end-datetime": "2099-01-02T00:00:00Z"})"),
       "date-range ends in the future"},
      {"backwards", report(R"([])", R"({"start-datetime": "2026-12-06T00:00:00Z", "end-datetime": "2026-12-05T00:00:00Z"})"),
       "date-range ends before it starts"},
      {"too long", report(R"([])", R"({"start-datetime": "2024-01-01T00:00:00Z", "end-datetime": "2026-12-05T00:00:00Z"})"),
       "date-range longer than 366 days"},
      {"no policies", report("[]"), "no policies"},
      {"negative count", report(R"([{"policy": {"policy-type": "sts", "policy-domain": "e.com"},
          "summary": {"total-successful-session-count": -1, "total-failure-session-count": 0}}])"),
       "total-successful-session-count is not a count"},
      {"huge count", report(R"([{"policy": {"policy-type": "sts", "policy-domain": "e.com"},
          "summary": {"total-successful-session-count": 1e300, "total-failure-session-count": 0}}])"),
       "total-successful-session-count is not a count"},
      {"over the limit", report(R"([{"policy": {"policy-type": "sts", "policy-domain": "e.com"},
          "summary": {"total-successful-session-count": 1000000000001, "total-failure-session-count": 0}}])"),
       "total-successful-session-count 1000000000001 is more than 1000000000000"},
      {"bad address", report(R"([{"policy": {"policy-type": "sts", "policy-domain": "e.com"}, )" + summary +
                             R"(, "failure-details": [{"result-type": "x", "sending-mta-ip": "300.1.1.1",
                                 "failed-session-count": 1}]}])"),
       "failure-details address 300.1.1.1 is not an IP address"},
      {"no result type", report(R"([{"policy": {"policy-type": "sts", "policy-domain": "e.com"}, )" + summary +
                                R"(, "failure-details": [{"failed-session-count": 1}]}])"),
       "no result-type"},
      {"not an object", "[1, 2]", "the document is not a JSON object"},
      {"not a domain", report(R"([{"policy": {"policy-type": "sts", "policy-domain": "a b"}, )" + summary + "}]"),
       "policy-domain a b is not a domain name"},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_tls(c.json, kNow);
    EXPECT_FALSE(parsed.report) << c.name;
    EXPECT_EQ(parsed.error, c.error) << c.name;
  }
}

TEST(IngestTls, HostileDocumentsAreBounded) {
  EXPECT_EQ(parse_tls(std::string(100000, '[') + std::string(100000, ']'), kNow).error, "nested deeper than 16");
  EXPECT_EQ(parse_tls(R"({"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", kNow).error, "no organization-name")
      << "brackets in strings are not nesting";
  TlsLimits small;
  small.max_document = 100;
  EXPECT_EQ(parse_tls(example(), kNow, small).error, "larger than 100 octets");
  small = {};
  small.max_policies = 2;
  const std::string policy = R"({"policy": {"policy-type": "sts", "policy-domain": "e.com"},
      "summary": {"total-successful-session-count": 1, "total-failure-session-count": 0}})";
  EXPECT_EQ(parse_tls(report("[" + policy + "," + policy + "," + policy + "]"), kNow, small).error,
            "more than 2 policies");
  small = {};
  small.max_failures = 1;
  const auto detail = R"({"result-type": "x", "failed-session-count": 1})";
  const std::string with_details = R"({"policy": {"policy-type": "sts", "policy-domain": "e.com"},
      "summary": {"total-successful-session-count": 1, "total-failure-session-count": 2},
      "failure-details": [)" + std::string(detail) + "," + detail + "]}";
  EXPECT_EQ(parse_tls(report("[" + with_details + "]"), kNow, small).error, "more than 1 failure-details");
  const auto long_org = parse_tls(
      R"({"organization-name": ")" + std::string(5000, 'o') + R"(", "report-id": "1", "date-range": {"start-datetime":
      "2026-12-06T00:00:00Z", "end-datetime": "2026-12-06T23:59:59Z"}, "policies": [)" + policy + "]}",
      kNow);
  ASSERT_TRUE(long_org.report) << long_org.error;
  EXPECT_EQ(long_org.report->org_name.size(), 1000U);
  EXPECT_EQ(long_org.notes, std::vector<std::string>{"1 string(s) cut to 1000 octets"});
}

TEST(IngestTls, FoundInMailByTheLabelsOfRfc8460Section53) {
  const auto json = example();
  const auto mail = "From: tlsrpt@company-x.example\r\nContent-Type: multipart/report; report-type=tlsrpt;"
                    " boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nreport\r\n--b\r\n"
                    "Content-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n"
                    "Content-Disposition: attachment; filename=\"company-x.example!company-y.example!1459468800!"
                    "1459555199!001.json.gz\"\r\n\r\n" +
                    base64_lines(gzip(json)) + "--b--\r\n";
  const auto found = documents_from_mail(mail);
  ASSERT_EQ(found.documents.size(), 1U);
  EXPECT_EQ(found.documents[0].text, json);
  EXPECT_TRUE(looks_like_json(found.documents[0].text));
}

}  // namespace
}  // namespace domainauth::report
