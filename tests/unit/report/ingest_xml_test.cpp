// Reading received aggregate reports (report/ingest_xml.hpp): RFC 9990 and
// RFC 7489 appendix C documents, the mess real reporters send, and the
// refusals of hostile or unreadable ones.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "report/aggregate.hpp"
#include "report/ingest_xml.hpp"

namespace domainauth::report {
namespace {

constexpr std::int64_t kNow = 1790000000;

std::string rfc7489(std::string_view records, std::string_view before = "", std::string_view meta_extra = "") {
  return std::string(before) +
         "<feedback><report_metadata><org_name>Mail.Example</org_name><email>r@mail.example</email>"
         "<report_id>id-1</report_id><date_range><begin>1789862400</begin><end>1789948799</end></date_range>" +
         std::string(meta_extra) +
         "</report_metadata><policy_published><domain>Example.COM</domain><adkim>r</adkim><aspf>r</aspf>"
         "<p>none</p><sp>none</sp><pct>100</pct></policy_published>" +
         std::string(records) + "</feedback>";
}

std::string record(std::string_view ip, std::string_view count, std::string_view evaluated = "<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>") {
  return "<record><row><source_ip>" + std::string(ip) + "</source_ip><count>" + std::string(count) +
         "</count><policy_evaluated>" + std::string(evaluated) +
         "</policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers>"
         "<auth_results><dkim><domain>example.com</domain><result>pass</result></dkim>"
         "<spf><domain>bounce.example.net</domain><result>pass</result></spf></auth_results></record>";
}

std::string deep(int levels) {
  std::string s;
  for (int i = 0; i < levels; ++i) s += "<a>";
  for (int i = 0; i < levels; ++i) s += "</a>";
  return s;
}

TEST(IngestXml, Rfc9990ExampleOfTheSchemaFolder) {
  std::ifstream in(std::string(DOMAINAUTH_TESTSUITES) + "/dmarc-report/rfc9990-example-report.xml");
  std::stringstream text;
  text << in.rdbuf();
  const auto parsed = parse_aggregate(text.str(), kNow);
  ASSERT_TRUE(parsed.report) << parsed.error;
  const auto& r = *parsed.report;
  EXPECT_EQ(r.format, "rfc9990");
  EXPECT_EQ(r.org_name, "Sample Reporter");
  EXPECT_EQ(r.report_id, "3v98abbp8ya9n3va8yr8oa3ya");
  EXPECT_EQ(r.policy_domain, "example.com");
  EXPECT_EQ(r.p, "quarantine");
  ASSERT_EQ(r.records.size(), 1U);
  EXPECT_EQ(r.records[0].count, 123U);
  EXPECT_EQ(r.records[0].disposition, "pass");
}

TEST(IngestXml, Rfc7489Record) {
  const auto parsed = parse_aggregate(rfc7489(record("192.0.2.1", "12") + record("2001:DB8::1", "3")), kNow);
  ASSERT_TRUE(parsed.report) << parsed.error;
  const auto& r = *parsed.report;
  EXPECT_EQ(r.format, "rfc7489");
  EXPECT_EQ(r.policy_domain, "example.com") << "lower case";
  EXPECT_EQ(r.begin, 1789862400);
  EXPECT_EQ(r.end, 1789948799);
  ASSERT_EQ(r.records.size(), 2U);
  const store::IngestedRecord want{"192.0.2.1", 12, "none", "pass", "fail", "example.com", "",
                                   "example.com=pass", "bounce.example.net=pass", ""};
  EXPECT_EQ(r.records[0], want);
  EXPECT_EQ(r.records[1].source_ip, "2001:db8::1") << "addresses in RFC 5952 form";
  EXPECT_TRUE(parsed.notes.empty());
}

// What our own `report aggregate` writes, in both formats, reads back with its counts.
TEST(IngestXml, ReadsWhatReportAggregateWrites) {
  store::Row row;
  row.source_ip = "192.0.2.9";
  row.header_from = row.policy_domain = row.spf_domain = "example.org";
  row.spf_result = "pass";
  row.spf_aligned = true;
  row.result = "pass";
  row.disposition = "none";
  row.policy.p = "reject";
  const std::vector<store::Row> rows(5, row);
  for (auto format : {Format::rfc9990, Format::rfc7489}) {
    const Metadata meta{"receiver.test", "d@receiver.test", "rid", 1789862400, 1789948800, "treewalk", "g", format};
    const auto parsed = parse_aggregate(aggregate_xml(meta, "example.org", rows), kNow);
    ASSERT_TRUE(parsed.report) << parsed.error;
    EXPECT_EQ(parsed.report->format, format == Format::rfc9990 ? "rfc9990" : "rfc7489");
    ASSERT_EQ(parsed.report->records.size(), 1U);
    EXPECT_EQ(parsed.report->records[0].count, 5U);
    EXPECT_EQ(parsed.report->records[0].spf, "pass");
    EXPECT_EQ(parsed.report->end, 1789948799);
  }
}

TEST(IngestXml, MessyReportsAreRecovered) {
  const auto upper = record("192.0.2.1", " 4 ", "<disposition>Quarantine</disposition><dkim>FAIL</dkim><spf>PASS</spf><reason></reason><reason><type>Forwarded</type></reason>");
  const std::string bad_utf8 = "<extra_contact_info>caf\xE9 \xFF</extra_contact_info>";
  const auto parsed = parse_aggregate(rfc7489(upper, "<?xml version=\"1.0\"?>\n<junk>stray</junk>\n", bad_utf8) + "\n\0trailer", kNow);
  ASSERT_TRUE(parsed.report) << parsed.error;
  const auto& r = parsed.report->records.at(0);
  EXPECT_EQ(r.count, 4U);
  EXPECT_EQ(r.disposition, "quarantine");
  EXPECT_EQ(r.dkim, "fail");
  EXPECT_EQ(r.spf, "pass");
  EXPECT_EQ(r.reasons, "forwarded") << "the empty <reason> is skipped";
  ASSERT_EQ(parsed.notes.size(), 2U);
  EXPECT_NE(parsed.notes[0].find("2 octet(s) of bad UTF-8"), std::string::npos) << parsed.notes[0];
  EXPECT_NE(parsed.notes[1].find("before the root element"), std::string::npos) << parsed.notes[1];
}

TEST(IngestXml, NamespacePrefixAndMissingOptionalElements) {
  const std::string doc =
      "<d:feedback xmlns:d=\"urn:ietf:params:xml:ns:dmarc-2.0\"><d:report_metadata><d:org_name>o</d:org_name>"
      "<d:report_id>r</d:report_id><d:date_range><d:begin>1789862400</d:begin><d:end>1789948799</d:end>"
      "</d:date_range></d:report_metadata><d:policy_published><d:domain>example.com</d:domain></d:policy_published>"
      "<d:record><d:row><d:source_ip>192.0.2.5</d:source_ip><d:count>2</d:count></d:row></d:record></d:feedback>";
  const auto parsed = parse_aggregate(doc, kNow);
  ASSERT_TRUE(parsed.report) << parsed.error;
  EXPECT_EQ(parsed.report->format, "rfc9990");
  const auto& r = parsed.report->records.at(0);
  EXPECT_EQ(r.count, 2U);
  EXPECT_EQ(r.disposition, "none");
  EXPECT_EQ(r.dkim, "fail");
  EXPECT_EQ(parsed.notes.size(), 1U) << "the missing disposition is noted";
}

TEST(IngestXml, UnreadableReportsAreRefusedWithTheReason) {
  IngestLimits limits;
  limits.max_records = 2;
  struct Case {
    const char* name;
    std::string doc;
    const char* error;
  } cases[] = {
      {"not a report", "<html><body>hi</body></html>", "no <feedback>"},
      {"broken XML", rfc7489(record("192.0.2.1", "1")).substr(0, 300), "XML:"},
      {"no report id", rfc7489(record("192.0.2.1", "1")).replace(rfc7489("").find("<report_id>"), 25, ""), "no <report_id>"},
      {"no records", rfc7489(""), "no <record>"},
      {"bad address", rfc7489(record("192.0.2.300", "1")), "not an address"},
      {"bad count", rfc7489(record("192.0.2.1", "-1")), "record count"},
      {"huge count", rfc7489(record("192.0.2.1", "99999999999999999999999")), "record count"},
      {"count above the limit", rfc7489(record("192.0.2.1", "1000000001")), "record count"},
      {"too many records", rfc7489(record("192.0.2.1", "1") + record("192.0.2.2", "1") + record("192.0.2.3", "1")), "more than 2 records"},
      {"unknown disposition", rfc7489(record("192.0.2.1", "1", "<disposition>drop</disposition>")), "unknown disposition"},
      {"future", rfc7489(record("192.0.2.1", "1")).replace(rfc7489("").find("1789948799"), 10, "4102444800"), "in the future"},
      {"milliseconds", rfc7489(record("192.0.2.1", "1")).replace(rfc7489("").find("1789948799"), 10, "1789948799000"), "in the future"},
      {"reversed", rfc7489(record("192.0.2.1", "1")).replace(rfc7489("").find("1789862400"), 10, "1789948800"), "ends before"},
      {"deep", rfc7489(deep(100)), "nested deeper"},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_aggregate(c.doc, kNow, limits);
    EXPECT_FALSE(parsed.report) << c.name;
    EXPECT_NE(parsed.error.find(c.error), std::string::npos) << c.name << ": " << parsed.error;
  }
}

// Entities declared in a DOCTYPE are not expanded (no billion laughs) and
// external ones are not read: the reference stays text or the parse fails.
TEST(IngestXml, EntitiesAreNeverExpanded) {
  const std::string laughs =
      "<!DOCTYPE feedback [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
      "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY x SYSTEM \"file:///etc/passwd\">]>";
  auto doc = rfc7489(record("192.0.2.1", "1"), laughs);
  doc.replace(doc.find("Mail.Example"), 12, "&c;&x;");
  const auto parsed = parse_aggregate(doc, kNow);
  if (parsed.report) {
    EXPECT_EQ(parsed.report->org_name, "&c;&x;");
  } else {
    EXPECT_NE(parsed.error, "");
  }
}

}  // namespace
}  // namespace domainauth::report
