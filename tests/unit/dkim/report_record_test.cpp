// Unit tests of the RFC 6651 reporting record (_report._domainkey: ra=, rp=,
// rr=, rs=) and of which signature failures it asks reports for.
#include <gtest/gtest.h>

#include "dkim/report_record.hpp"

namespace domainauth::dkim {
namespace {

TEST(ReportRecord, Rfc6651_3_2_Defaults) {
  auto p = parse_report_record("ra=dkim-reports");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.record.address, "dkim-reports");
  EXPECT_EQ(p.record.percent, 100u);
  EXPECT_TRUE(p.record.smtp_text.empty());
  for (auto f : {Failure::body_hash, Failure::signature, Failure::syntax, Failure::expired, Failure::dns,
                 Failure::revoked, Failure::other}) {
    EXPECT_TRUE(p.record.requests(f)) << rr_token(f);  // rr= absent: all
  }
  EXPECT_FALSE(p.record.requests(Failure::none));
}

TEST(ReportRecord, Rfc6651_3_2_AllTags) {
  auto p = parse_report_record("ra=dkim=2Erep; rp=25; rr=v:x; rs=Signature=20failed=3B=20see=20postmaster; zz=ignored");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.record.address, "dkim.rep");
  EXPECT_EQ(p.record.percent, 25u);
  EXPECT_EQ(p.record.smtp_text, "Signature failed; see postmaster");
  EXPECT_TRUE(p.record.requests(Failure::body_hash));
  EXPECT_TRUE(p.record.requests(Failure::signature));
  EXPECT_TRUE(p.record.requests(Failure::expired));
  EXPECT_FALSE(p.record.requests(Failure::dns));
  EXPECT_FALSE(p.record.requests(Failure::syntax));
  EXPECT_FALSE(p.record.requests(Failure::revoked));
}

TEST(ReportRecord, Rfc6651_3_3_EachToken) {
  const struct {
    const char* rr;
    Failure asked;
    Failure not_asked;
  } cases[] = {
      {"d", Failure::dns, Failure::signature},      {"o", Failure::revoked, Failure::dns},
      {"o", Failure::other, Failure::expired},      {"s", Failure::syntax, Failure::other},
      {"v", Failure::signature, Failure::syntax},   {"x", Failure::expired, Failure::body_hash},
      {"ALL", Failure::syntax, Failure::none},      {" v : d ", Failure::dns, Failure::expired},
  };
  for (const auto& c : cases) {
    auto p = parse_report_record(std::string("ra=r; rr=") + c.rr);
    ASSERT_TRUE(p.ok()) << c.rr << ": " << p.error;
    EXPECT_TRUE(p.record.requests(c.asked)) << c.rr;
    EXPECT_FALSE(p.record.requests(c.not_asked)) << c.rr;
  }
  // p (policy) and u (unsigned) are ADSP's: valid, but no signature failure matches them.
  auto adsp = parse_report_record("ra=r; rr=p:u");
  ASSERT_TRUE(adsp.ok()) << adsp.error;
  EXPECT_EQ(adsp.record.requested, 0u);
}

TEST(ReportRecord, Rfc6651_3_2_AddressDomainDropped) {
  // The domain is always the signature's d= (OpenDKIM drops it the same way).
  auto p = parse_report_record("ra=abuse@elsewhere.example");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.record.address, "abuse");
}

TEST(ReportRecord, Rfc6651_3_2_Errors) {
  const struct {
    const char* text;
    const char* why;
  } cases[] = {
      {"rp=50", "no ra="},
      {"", "no ra="},
      {"ra=", "not a local-part"},
      {"ra=a..b", "not a local-part"},
      {"ra=a=ZZ", "dkim-quoted-printable"},
      {"ra=a=20b", "not a local-part"},
      {"ra=r; rp=101", "percentage"},
      {"ra=r; rp=-1", "percentage"},
      {"ra=r; rp=1000", "percentage"},
      {"ra=r; rp=", "percentage"},
      {"ra=r; rr=v:q", "unknown report type \"q\""},
      {"ra=r; rr=", "unknown report type"},
      {"ra=r; rs=a=0Db", "printable line"},
      {"ra=r; ra=s", "appears twice"},
      {"ra", "has no \"=\""},
  };
  for (const auto& c : cases) {
    auto p = parse_report_record(c.text);
    EXPECT_FALSE(p.ok()) << c.text;
    EXPECT_NE(p.error.find(c.why), std::string::npos) << c.text << " -> " << p.error;
  }
  EXPECT_NE(parse_report_record("ra=r; rs=" + std::string(513, 'x')).error.find("512"), std::string::npos);
}

TEST(ReportRecord, FromAnswer) {
  dns::Answer answer;
  answer.status = dns::Status::answer;
  answer.txt = {"v=spf1 -all", "ra=rep; rr=v"};
  auto found = report_record_from_answer(answer);
  ASSERT_TRUE(found.record) << found.error;
  EXPECT_EQ(found.record->address, "rep");

  answer.txt = {"nonsense"};
  found = report_record_from_answer(answer);
  EXPECT_FALSE(found.record);
  EXPECT_FALSE(found.transient);
  EXPECT_FALSE(found.error.empty());

  dns::Answer missing;
  missing.status = dns::Status::nxdomain;
  found = report_record_from_answer(missing);
  EXPECT_FALSE(found.record);
  EXPECT_FALSE(found.transient);
  EXPECT_EQ(found.error, "no reporting record (nxdomain)");

  dns::Answer failed;
  failed.status = dns::Status::timeout;
  EXPECT_TRUE(report_record_from_answer(failed).transient);
}

}  // namespace
}  // namespace domainauth::dkim
