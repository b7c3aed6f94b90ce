// The aggregate report document: rows grouped into records with counts, the
// RFC 9990 3.2 values, and the document valid against the RFC 9990 schema
// (../shared/testsuites/dmarc-report, checked with xmllint --schema), or the
// RFC 7489 appendix C one for [report] format = "rfc7489".
#include "report/aggregate.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace domainauth::report {
namespace {

store::Row row(std::string ip, std::string result, std::string disposition) {
  store::Row r;
  r.time = 1790000000;
  r.source_ip = std::move(ip);
  r.header_from = "example.com";
  r.envelope_from = "example.com";
  r.spf_result = result == "pass" ? "pass" : "fail";
  r.spf_domain = "example.com";
  r.spf_aligned = result == "pass";
  r.dkim = {{result == "pass" ? "pass" : "fail", "example.com", "s1", result == "pass"}};
  r.policy_domain = "example.com";
  r.policy = {"reject", "quarantine", "none", 100, "r", "s", false, ""};
  r.result = std::move(result);
  r.disposition = std::move(disposition);
  return r;
}

Metadata metadata() {
  return {"mx.receiver.example", "dmarc-reports@receiver.example", "r-1", 1789948800, 1789948800 + 86400, "treewalk",
          "domainauth", Format::rfc9990};
}

// xmllint's verdict on the document; empty when it validates.
std::string schema_errors(const std::string& xml, const char* xsd = "rfc9990-dmarc-xml-0.2.xsd") {
  const auto schema = std::string(DOMAINAUTH_TESTSUITES) + "/dmarc-report/" + xsd;
  const auto dir = std::filesystem::temp_directory_path();
  const auto file = dir / ("domainauth-report-" + std::to_string(::getpid()) + ".xml");
  const auto log = dir / ("domainauth-report-" + std::to_string(::getpid()) + ".log");
  std::ofstream(file) << xml;
  const auto command = "xmllint --noout --schema '" + schema + "' '" + file.string() + "' > '" + log.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(file);
  std::filesystem::remove(log);
  return status == 0 ? "" : text;
}

TEST(AggregateReport, IdenticalRowsBecomeOneRecordWithTheirCount) {
  const std::vector<store::Row> rows = {row("192.0.2.1", "pass", "none"), row("192.0.2.1", "pass", "none"),
                                        row("192.0.2.9", "fail", "reject")};
  const auto records = group_rows(rows);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].count, 2u);
  EXPECT_EQ(records[1].count, 1u);
}

TEST(AggregateReport, ValidatesAgainstTheRfc9990Schema) {
  const std::vector<store::Row> rows = {row("192.0.2.1", "pass", "none"), row("2001:db8::1", "fail", "reject"),
                                        row("192.0.2.1", "pass", "none")};
  const auto xml = aggregate_xml(metadata(), "example.com", rows);
  ASSERT_FALSE(xml.empty());
  EXPECT_EQ(schema_errors(xml), "") << xml;
  EXPECT_NE(xml.find("<count>2</count>"), std::string::npos) << xml;
  // RFC 9990 3.2.1.3: a passing message is reported with disposition "pass".
  EXPECT_NE(xml.find("<disposition>pass</disposition>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<disposition>reject</disposition>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<end>1790035199</end>"), std::string::npos) << xml;  // the last second of the day
}

TEST(AggregateReport, ValuesFromMailAreEscaped) {
  auto r = row("192.0.2.1", "fail", "none");
  r.dkim[0].selector = "<s>&\"";
  const auto xml = aggregate_xml(metadata(), "example.com", std::vector<store::Row>{r});
  EXPECT_EQ(schema_errors(xml), "") << xml;
  EXPECT_NE(xml.find("&lt;s&gt;&amp;"), std::string::npos) << xml;
}

TEST(AggregateReport, OnlyThePolicyDomainsRowsAndNoneIsNoReport) {
  auto other = row("192.0.2.1", "pass", "none");
  other.policy_domain = "example.org";
  EXPECT_EQ(aggregate_xml(metadata(), "example.com", std::vector<store::Row>{other}), "");
  EXPECT_EQ(aggregate_xml(metadata(), "example.com", {}), "");
}

TEST(AggregateReport, Rfc9990FoAndDiscoveryMethodAsRecorded) {
  auto r = row("192.0.2.1", "fail", "none");
  auto meta = metadata();
  meta.discovery_method = "psl";
  EXPECT_EQ(aggregate_xml(meta, "example.com", std::vector<store::Row>{r}).find("<fo>"), std::string::npos);
  r.policy.fo = "1:d";
  const auto xml = aggregate_xml(meta, "example.com", std::vector<store::Row>{r});
  EXPECT_EQ(schema_errors(xml), "") << xml;
  EXPECT_NE(xml.find("<fo>1:d</fo>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<discovery_method>psl</discovery_method>"), std::string::npos) << xml;
}

TEST(AggregateReport, Rfc7489AppendixCDocumentValidatesAgainstItsSchema) {
  auto meta = metadata();
  meta.format = Format::rfc7489;
  auto null_sender = row("2001:db8::1", "fail", "reject");
  null_sender.envelope_from.clear();
  null_sender.spf_domain.clear();
  null_sender.spf_result = "none";
  const std::vector<store::Row> rows = {row("192.0.2.1", "pass", "none"), null_sender};
  const auto xml = aggregate_xml(meta, "example.com", rows);
  EXPECT_EQ(schema_errors(xml, "rfc7489-appendixC-rua.no-namespace.xsd"), "") << xml;
  EXPECT_EQ(xml.find("xmlns"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("<disposition>pass</disposition>"), std::string::npos) << xml;  // RFC 7489: what was applied
  EXPECT_NE(xml.find("<source_ip>2001:db8:0:0:0:0:0:1</source_ip>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<pct>100</pct>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<fo>0</fo>"), std::string::npos) << xml;  // the default when the history has none
  for (const char* rfc9990_only : {"<np>", "<testing>", "<discovery_method>", "<generator>"}) {
    EXPECT_EQ(xml.find(rfc9990_only), std::string::npos) << rfc9990_only;
  }
}

}  // namespace
}  // namespace domainauth::report
