// DMARC record parser: table of RFC 7489 6.3/6.4 and RFC 9989 4.7/4.8 rules,
// the records of both RFCs' appendix B examples, and reporting URIs (6.2).
#include <gtest/gtest.h>

#include "dmarc/record.hpp"

namespace domainauth::dmarc {
namespace {

TEST(DmarcRecord, Rfc7489_6_3_VersionMustBeFirstAndExact) {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"", "empty record"},
      {"   ", "empty record"},
      {"p=none; v=DMARC1", "does not start with v=DMARC1"},
      {"v=DMARC2; p=none", "does not start with v=DMARC1"},
      {"v=dmarc1; p=none", "does not start with v=DMARC1"},  // value is case sensitive
      {"v=spf1 -all", "does not start with v=DMARC1"},
      {"v DMARC1; p=none", "does not start with v=DMARC1"},
  };
  for (const Case& c : cases) {
    ParseResult r = parse_record(c.text);
    EXPECT_FALSE(r.record) << c.text;
    EXPECT_EQ(r.reason, c.why) << c.text;
    EXPECT_FALSE(is_dmarc_record(c.text)) << c.text;
  }
  EXPECT_TRUE(is_dmarc_record("v = DMARC1 ;p=none"));
  EXPECT_TRUE(is_dmarc_record("v=DMARC1"));
}

TEST(DmarcRecord, Rfc7489AppendixB_ExampleRecordsParse) {
  // RFC 7489 B.2.1 - B.2.4 / RFC 9989 B.2.
  ParseResult r = parse_record("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com");
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->p.value, Policy::none);
  ASSERT_EQ(r.record->rua.size(), 1u);
  EXPECT_EQ(r.record->rua[0].mailbox, "dmarc-feedback@example.com");
  EXPECT_TRUE(r.record->problems.empty());

  r = parse_record(
      "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net!10m; "
      "pct=25");
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->p.value, Policy::quarantine);
  EXPECT_EQ(r.record->pct, 25);
  ASSERT_EQ(r.record->rua.size(), 2u);
  EXPECT_EQ(r.record->rua[1].mailbox, "tld-test@thirdparty.example.net");
  EXPECT_EQ(r.record->rua[1].max_size, 10ull << 20);
  EXPECT_EQ(r.record->rua[1].uri, "mailto:tld-test@thirdparty.example.net");

  r = parse_record("v=DMARC1; p=reject; sp=quarantine; np=reject; psd=y; t=y; adkim=s; aspf=s; fo=1:d:s; ri=3600");
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->sp.value, Policy::quarantine);
  EXPECT_EQ(r.record->np.value, Policy::reject);
  EXPECT_EQ(r.record->psd, PsdFlag::yes);
  EXPECT_TRUE(r.record->testing);
  EXPECT_EQ(r.record->adkim, AlignmentMode::strict);
  EXPECT_EQ(r.record->aspf, AlignmentMode::strict);
  EXPECT_TRUE(r.record->fo.any_fail && r.record->fo.dkim && r.record->fo.spf);
  EXPECT_FALSE(r.record->fo.all_fail);
  EXPECT_EQ(r.record->ri, 3600u);
}

TEST(DmarcRecord, Defaults) {
  ParseResult r = parse_record("v=DMARC1");
  ASSERT_TRUE(r.record);
  const Record& d = *r.record;
  EXPECT_FALSE(d.p.present);
  EXPECT_EQ(d.adkim, AlignmentMode::relaxed);
  EXPECT_EQ(d.aspf, AlignmentMode::relaxed);
  EXPECT_EQ(d.pct, 100);
  EXPECT_EQ(d.ri, 86400u);
  EXPECT_EQ(d.rf, std::vector<std::string>{"afrf"});
  EXPECT_TRUE(d.fo.all_fail);
  EXPECT_EQ(d.psd, PsdFlag::unknown);
  EXPECT_FALSE(d.testing);
}

// RFC 7489 6.3 / RFC 9989 4.8: syntax errors are discarded in favour of the
// defaults; each is listed as a problem with its tag.
TEST(DmarcRecord, Rfc9989_4_8_BadValuesFallBackToDefaults) {
  struct Case {
    const char* text;
    const char* tag;
  };
  const Case cases[] = {
      {"v=DMARC1; p=none; adkim=x", "adkim"},     {"v=DMARC1; p=none; aspf=relaxed", "aspf"},
      {"v=DMARC1; p=none; pct=101", "pct"},       {"v=DMARC1; p=none; pct=-1", "pct"},
      {"v=DMARC1; p=none; pct=1000", "pct"},      {"v=DMARC1; p=none; ri=4294967296", "ri"},
      {"v=DMARC1; p=none; ri=1h", "ri"},          {"v=DMARC1; p=none; fo=2", "fo"},
      {"v=DMARC1; p=none; rf=iodef", "rf"},       {"v=DMARC1; p=none; psd=maybe", "psd"},
      {"v=DMARC1; p=none; t=yes", "t"},           {"v=DMARC1; p=none; rua=not a uri", "rua"},
      {"v=DMARC1; p=none; ruf=mailto:a@b.example!10x", "ruf"},
      {"v=DMARC1; p=none; p=reject", "p"},        {"v=DMARC1; p=none; garbage", "garbage"},
      {"v=DMARC1; p=none; 1x=y", "1x"},           {"v=DMARC1; p=none; adkim=", "adkim"},
  };
  for (const Case& c : cases) {
    ParseResult r = parse_record(c.text);
    ASSERT_TRUE(r.record) << c.text;
    ASSERT_EQ(r.record->problems.size(), 1u) << c.text;
    EXPECT_EQ(r.record->problems[0].tag, c.tag) << c.text;
    EXPECT_EQ(r.record->p.value, Policy::none) << c.text;  // the first p= is kept
    EXPECT_EQ(r.record->pct, 100) << c.text;
    EXPECT_EQ(r.record->adkim, AlignmentMode::relaxed) << c.text;
  }
}

TEST(DmarcRecord, Rfc7489_6_3_UnknownTagsIgnoredSilently) {
  ParseResult r = parse_record("v=DMARC1; p=reject; foo=bar; xnew=1:2;");
  ASSERT_TRUE(r.record);
  EXPECT_TRUE(r.record->problems.empty());
  EXPECT_EQ(r.record->p.value, Policy::reject);
}

TEST(DmarcRecord, Rfc7489_6_6_3_InvalidPolicyIsKeptApartFromAbsent) {
  ParseResult r = parse_record("v=DMARC1; p=bogus; sp=none");
  ASSERT_TRUE(r.record);
  EXPECT_TRUE(r.record->p.invalid());
  EXPECT_FALSE(r.record->sp.invalid());
  r = parse_record("v=DMARC1; sp=reject");
  ASSERT_TRUE(r.record);
  EXPECT_FALSE(r.record->p.present);
  EXPECT_FALSE(r.record->p.invalid());
}

TEST(DmarcRecord, TagNamesAndKeywordsAreCaseInsensitiveWhitespaceTolerated) {
  ParseResult r = parse_record("v=DMARC1 ;\tP = Reject ; ADKIM=S;  sp=QUARANTINE  ;");
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->p.value, Policy::reject);
  EXPECT_EQ(r.record->sp.value, Policy::quarantine);
  EXPECT_EQ(r.record->adkim, AlignmentMode::strict);
  EXPECT_TRUE(r.record->problems.empty());
}

TEST(DmarcRecord, RecordLongerThanLimitIsNotTaken) {
  std::string text = "v=DMARC1; p=none; x=" + std::string(kMaxRecordLength, 'a');
  EXPECT_FALSE(parse_record(text).record);
  EXPECT_FALSE(is_dmarc_record(text));
}

TEST(DmarcRecord, Rfc7489_6_2_ReportUris) {
  struct Case {
    const char* text;
    bool valid;
    const char* scheme;
    const char* mailbox;
    std::optional<std::uint64_t> size;
  };
  const Case cases[] = {
      {"mailto:agg@example.com", true, "mailto", "agg@example.com", std::nullopt},
      {"mailto:agg@example.com!10m", true, "mailto", "agg@example.com", 10ull << 20},
      {"mailto:agg@example.com!512", true, "mailto", "agg@example.com", 512},
      {"mailto:agg@example.com!1K", true, "mailto", "agg@example.com", 1024},
      {"mailto:agg@example.com!2t", true, "mailto", "agg@example.com", 2ull << 40},
      {"MAILTO:agg%40x@example.com?subject=x", true, "mailto", "agg@x@example.com", std::nullopt},
      {"https://example.com/dmarc", true, "https", "", std::nullopt},
      {"ftp://abuse.com", true, "ftp", "", std::nullopt},
      {"mailto://abuse.com", true, "mailto", "", std::nullopt},
      {"mailto:agg@example.com!", false, "", "", std::nullopt},
      {"mailto:agg@example.com!99999999999999999999", false, "", "", std::nullopt},
      {"mailto:agg@example.com!17179869184g", false, "", "", std::nullopt},  // overflows 64 bits
      {"agg@example.com", false, "", "", std::nullopt},
      {"1http://x", false, "", "", std::nullopt},
      {"mailto:", false, "", "", std::nullopt},
      {"mailto:a b@example.com", false, "", "", std::nullopt},
      {"mailto:a%zz@example.com", false, "", "", std::nullopt},
  };
  for (const Case& c : cases) {
    std::string why;
    auto uri = parse_report_uri(c.text, why);
    ASSERT_EQ(uri.has_value(), c.valid) << c.text << " " << why;
    if (!uri) {
      EXPECT_FALSE(why.empty());
      continue;
    }
    EXPECT_EQ(uri->scheme, c.scheme) << c.text;
    EXPECT_EQ(uri->mailbox, c.mailbox) << c.text;
    EXPECT_EQ(uri->max_size, c.size) << c.text;
  }
}

TEST(DmarcRecord, ReportUriListIsBounded) {
  std::string text = "v=DMARC1; p=none; rua=";
  for (std::size_t i = 0; i < kMaxReportUris + 3; ++i) text += (i ? "," : "") + std::string("mailto:a@b.example");
  ParseResult r = parse_record(text);
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->rua.size(), kMaxReportUris);
  EXPECT_EQ(r.record->problems.size(), 3u);
}

}  // namespace
}  // namespace domainauth::dmarc
