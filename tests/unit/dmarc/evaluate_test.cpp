// dmarc::evaluate() over the in-memory resolver: RFC 9989 appendix B.4 tree
// walk examples (queries counted), policy discovery in both modes, p/sp/np
// selection, invalid policy tags (RFC 7489 6.6.3 step 6), pct sampling
// (6.6.4), t=y, temperror on DNS failure, and the From rules of 6.6.1.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "dmarc/dmarc.hpp"
#include "dns/sync.hpp"
#include "support/memory_resolver.hpp"

namespace domainauth::dmarc {
namespace {

Message message(std::string from, SpfResult spf, std::string spf_domain, std::vector<DkimInput> dkim = {}) {
  return Message{extract_author(from), {spf, std::move(spf_domain)}, std::move(dkim)};
}

class DmarcEvaluate : public ::testing::Test {
 protected:
  Outcome run(Message m) { return dns::run_sync(io_, evaluate(zone_, options_, std::move(m))); }
  void psl_mode() {
    std::string why;
    psl_ = PublicSuffixList::load(std::string(DOMAINAUTH_TESTSUITES) + "/psl/public_suffix_list.dat", why);
    ASSERT_TRUE(psl_) << why;
    options_.mode = OrgDomainMode::rfc7489_psl;
    options_.psl = psl_.get();
  }
  int queries_of(const std::string& name) const {
    const auto& log = zone_.log();
    return static_cast<int>(std::count(log.begin(), log.end(), name + "/TXT"));
  }

  asio::io_context io_;
  testing::MemoryResolver zone_{io_.get_executor()};
  Options options_;
  std::unique_ptr<PublicSuffixList> psl_;
};

TEST_F(DmarcEvaluate, Rfc9989_B_4_1_SimpleOrganizationalAndPolicy) {
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  zone_.add_txt("_dmarc.signing.example.com", "v=DMARC1; p=none");
  Outcome o = run(message("a@example.com", SpfResult::pass, "example.com",
                          {{DkimResult::pass, "signing.example.com", "s1"}}));
  EXPECT_EQ(o.result, Result::pass) << o.reason;
  EXPECT_TRUE(o.spf.aligned);
  ASSERT_EQ(o.dkim.size(), 1u);
  EXPECT_TRUE(o.dkim[0].aligned);
  EXPECT_EQ(o.policy_domain, "example.com");
  EXPECT_EQ(o.org_domain, "example.com");
  EXPECT_EQ(o.policy, Policy::reject);
  EXPECT_EQ(o.disposition, Policy::none);
  // _dmarc.example.com, _dmarc.com, _dmarc.signing.example.com: each once.
  EXPECT_EQ(o.dns_queries, 3);
  EXPECT_EQ(zone_.log().size(), 3u);
  EXPECT_EQ(queries_of("_dmarc.example.com"), 1);
}

TEST_F(DmarcEvaluate, Rfc9989_B_4_2_DeepTreeWalk) {
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=quarantine; sp=reject");
  zone_.add_txt("_dmarc.signing.example.com", "v=DMARC1; p=none");
  Outcome o = run(message("a@a.b.c.d.e.f.g.h.i.j.k.example.com", SpfResult::pass, "example.com",
                          {{DkimResult::pass, "signing.example.com", "s1"}}));
  EXPECT_EQ(o.result, Result::pass) << o.reason;
  EXPECT_TRUE(o.spf.aligned && o.dkim[0].aligned);
  EXPECT_EQ(o.policy_domain, "example.com");
  EXPECT_EQ(o.policy_source, PolicySource::sp);
  EXPECT_EQ(o.policy, Policy::reject);
  EXPECT_EQ(o.org_domain, "example.com");
  // 8 for the author walk (intermediate names skipped), 1 for signing.example.com.
  EXPECT_EQ(o.dns_queries, 9);
  EXPECT_EQ(queries_of("_dmarc.k.example.com"), 1);
  EXPECT_EQ(queries_of("_dmarc.c.d.e.f.g.h.i.j.k.example.com"), 0);
  EXPECT_EQ(queries_of("_dmarc.g.h.i.j.k.example.com"), 1);
}

TEST_F(DmarcEvaluate, Rfc9989_B_4_3_PsdRecord) {
  zone_.add_txt("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y");
  zone_.add_txt("_dmarc.giant.bank.example", "v=DMARC1; p=quarantine");
  Outcome o = run(message("a@giant.bank.example", SpfResult::pass, "mail.giant.bank.example",
                          {{DkimResult::pass, "mail.mega.bank.example", "s1"}}));
  EXPECT_EQ(o.result, Result::pass) << o.reason;
  EXPECT_TRUE(o.spf.aligned);
  EXPECT_FALSE(o.dkim[0].aligned);
  EXPECT_TRUE(o.dkim[0].authenticated);
  EXPECT_EQ(o.org_domain, "giant.bank.example");
  EXPECT_EQ(o.policy_domain, "giant.bank.example");
}

TEST_F(DmarcEvaluate, Rfc9989_4_10_1_PsdPolicyForUnregisteredOrgDomain) {
  zone_.add_txt("_dmarc.bank.example", "v=DMARC1; p=reject; sp=quarantine; psd=y");
  zone_.add_name("x.newco.bank.example");
  Outcome o = run(message("a@x.newco.bank.example", SpfResult::fail, "x.newco.bank.example"));
  EXPECT_EQ(o.result, Result::fail);
  EXPECT_EQ(o.policy_domain, "bank.example");
  EXPECT_EQ(o.org_domain, "newco.bank.example");
  EXPECT_EQ(o.policy_source, PolicySource::sp);
  EXPECT_EQ(o.disposition, Policy::quarantine);
}

TEST_F(DmarcEvaluate, Rfc9989_4_10_1_PolicyTagSelection) {
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=none");
  zone_.add_name("exists.example.com");
  struct Case {
    const char* from;
    PolicySource source;
    Policy policy;
  };
  const Case cases[] = {
      {"a@example.com", PolicySource::p, Policy::reject},
      {"a@exists.example.com", PolicySource::sp, Policy::quarantine},
      {"a@missing.example.com", PolicySource::np, Policy::none},  // NXDOMAIN (RFC 9989 3.2.13)
  };
  for (const Case& c : cases) {
    Outcome o = run(message(c.from, SpfResult::none, ""));
    EXPECT_EQ(o.result, Result::fail) << c.from;
    EXPECT_EQ(o.policy_source, c.source) << c.from << ": " << o.reason;
    EXPECT_EQ(o.policy, c.policy) << c.from;
    EXPECT_EQ(o.disposition, c.policy) << c.from;
  }
}

TEST_F(DmarcEvaluate, Rfc9989_4_7_NpAbsentFallsBackToSpThenP) {
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine");
  zone_.add_txt("_dmarc.example.org", "v=DMARC1; p=reject");
  EXPECT_EQ(run(message("a@missing.example.com", SpfResult::none, "")).policy_source, PolicySource::sp);
  Outcome o = run(message("a@missing.example.org", SpfResult::none, ""));
  EXPECT_EQ(o.policy_source, PolicySource::p);
  EXPECT_EQ(o.disposition, Policy::reject);
}

TEST_F(DmarcEvaluate, Rfc7489_6_6_3_PslModeIgnoresNpAndUsesTwoQueries) {
  psl_mode();
  zone_.add_txt("_dmarc.example.co.uk", "v=DMARC1; p=reject; sp=quarantine; np=none");
  Outcome o = run(message("a@missing.mail.example.co.uk", SpfResult::pass, "bounce.example.co.uk"));
  EXPECT_EQ(o.result, Result::pass) << o.reason;
  EXPECT_EQ(o.org_domain, "example.co.uk");
  EXPECT_EQ(o.policy_source, PolicySource::sp);
  EXPECT_EQ(o.dns_queries, 2);
  o = run(message("a@missing.mail.example.co.uk", SpfResult::fail, "example.co.uk"));
  EXPECT_EQ(o.policy_source, PolicySource::sp);  // np is RFC 9989 only
  EXPECT_EQ(o.disposition, Policy::quarantine);
}

TEST_F(DmarcEvaluate, Rfc7489_6_6_4_PctSampling) {
  psl_mode();
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=50");
  zone_.add_txt("_dmarc.example.net", "v=DMARC1; p=quarantine; pct=0");
  int draw = 0;
  options_.random_percent = [&draw] { return draw; };
  draw = 49;
  Outcome o = run(message("a@example.com", SpfResult::fail, "example.com"));
  EXPECT_EQ(o.disposition, Policy::reject);
  EXPECT_FALSE(o.sampled_out);
  draw = 50;
  o = run(message("a@example.com", SpfResult::fail, "example.com"));
  EXPECT_EQ(o.policy, Policy::reject);
  EXPECT_EQ(o.disposition, Policy::quarantine);  // not selected: reject becomes quarantine
  EXPECT_TRUE(o.sampled_out);
  draw = 0;
  o = run(message("a@example.net", SpfResult::fail, "example.net"));
  EXPECT_EQ(o.disposition, Policy::none);
  EXPECT_TRUE(o.sampled_out);
  // Passing mail is never sampled.
  o = run(message("a@example.com", SpfResult::pass, "example.com"));
  EXPECT_EQ(o.disposition, Policy::none);
  EXPECT_FALSE(o.sampled_out);
}

TEST_F(DmarcEvaluate, Rfc9989_A_6_PctIgnoredTestingLowersPolicy) {
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=0");
  zone_.add_txt("_dmarc.example.net", "v=DMARC1; p=reject; t=y");
  options_.random_percent = [] { return 99; };
  Outcome o = run(message("a@example.com", SpfResult::fail, "example.com"));
  EXPECT_EQ(o.disposition, Policy::reject);
  EXPECT_FALSE(o.sampled_out);
  o = run(message("a@example.net", SpfResult::fail, "example.net"));
  EXPECT_EQ(o.disposition, Policy::quarantine);
  EXPECT_TRUE(o.testing);
  psl_mode();  // RFC 7489 has no t=
  o = run(message("a@example.net", SpfResult::fail, "example.net"));
  EXPECT_EQ(o.disposition, Policy::reject);
  EXPECT_FALSE(o.testing);
}

TEST_F(DmarcEvaluate, TemperrorOnDnsFailure) {
  zone_.set_servfail("_dmarc.example.com");
  EXPECT_EQ(run(message("a@example.com", SpfResult::pass, "example.com")).result, Result::temperror);
  // A failure further up the walk (author has no record).
  zone_.set_timeout("_dmarc.org");
  Outcome o = run(message("a@sub.example.org", SpfResult::pass, "sub.example.org"));
  EXPECT_EQ(o.result, Result::temperror);
  EXPECT_NE(o.reason.find("_dmarc.org"), std::string::npos) << o.reason;
}

TEST_F(DmarcEvaluate, Rfc7489_6_6_2_TemporaryErrorOfAlignedIdentifierIsTemperror) {
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  Outcome o = run(message("a@example.com", SpfResult::temperror, "example.com"));
  EXPECT_EQ(o.result, Result::temperror) << o.reason;
  EXPECT_EQ(o.disposition, Policy::none);
  // A temporary error on an identifier that could not align does not matter.
  o = run(message("a@example.com", SpfResult::fail, "example.com", {{DkimResult::temperror, "other.example", "s"}}));
  EXPECT_EQ(o.result, Result::fail) << o.reason;
  EXPECT_EQ(o.disposition, Policy::reject);
}

TEST_F(DmarcEvaluate, Rfc7489_4_3_StrictAlignmentNeedsNoWalk) {
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s; aspf=s");
  Outcome o = run(message("a@example.com", SpfResult::pass, "bounce.example.com",
                          {{DkimResult::pass, "Example.COM", "s"}, {DkimResult::fail, "example.com", "s2"}}));
  EXPECT_EQ(o.result, Result::pass);
  EXPECT_FALSE(o.spf.aligned);
  EXPECT_TRUE(o.dkim[0].aligned);
  EXPECT_FALSE(o.dkim[1].aligned);
  EXPECT_FALSE(o.dkim[1].authenticated);
  EXPECT_EQ(o.dns_queries, 1);
}

TEST_F(DmarcEvaluate, Rfc7489_6_6_3_SeveralRecordsAtOneName) {
  zone_.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  zone_.add_txt("_dmarc.sub.example.com", "v=DMARC1; p=none");
  zone_.add_txt("_dmarc.sub.example.com", "v=DMARC1; p=quarantine");
  zone_.add_txt("_dmarc.sub.example.com", "some other TXT");
  // RFC 9989 4.10 step 2: all discarded, the walk goes on.
  Outcome o = run(message("a@sub.example.com", SpfResult::fail, "sub.example.com"));
  EXPECT_EQ(o.result, Result::fail);
  EXPECT_EQ(o.policy_domain, "example.com");
  // RFC 7489 6.6.3 step 5: no DMARC processing.
  psl_mode();
  o = run(message("a@sub.example.com", SpfResult::fail, "sub.example.com"));
  EXPECT_EQ(o.result, Result::none);
  EXPECT_NE(o.reason.find("2 DMARC records"), std::string::npos) << o.reason;
}

TEST_F(DmarcEvaluate, Rfc7489_6_6_3_Step6InvalidPolicy) {
  zone_.add_txt("_dmarc.rua.example", "v=DMARC1; p=bogus; rua=mailto:agg@rua.example");
  zone_.add_txt("_dmarc.norua.example", "v=DMARC1; p=bogus");
  zone_.add_txt("_dmarc.badsp.example", "v=DMARC1; p=reject; sp=nonsense");
  zone_.add_txt("_dmarc.nop.example", "v=DMARC1; rua=mailto:agg@nop.example");
  zone_.add_txt("_dmarc.noprua.example", "v=DMARC1; adkim=s");
  Outcome o = run(message("a@rua.example", SpfResult::fail, "rua.example"));
  EXPECT_EQ(o.result, Result::fail);
  EXPECT_EQ(o.policy, Policy::none);
  EXPECT_EQ(o.disposition, Policy::none);
  EXPECT_EQ(run(message("a@norua.example", SpfResult::fail, "")).result, Result::permerror);
  EXPECT_EQ(run(message("a@badsp.example", SpfResult::fail, "")).result, Result::permerror);
  // RFC 9989 4.7: a missing p is p=none.
  o = run(message("a@noprua.example", SpfResult::fail, ""));
  EXPECT_EQ(o.result, Result::fail);
  EXPECT_EQ(o.policy, Policy::none);
  // RFC 7489: p is required; with a valid rua it is p=none, without, no processing.
  psl_mode();
  EXPECT_EQ(run(message("a@nop.example", SpfResult::fail, "")).policy, Policy::none);
  EXPECT_EQ(run(message("a@noprua.example", SpfResult::fail, "")).result, Result::permerror);
}

TEST_F(DmarcEvaluate, NoRecordIsNone) {
  zone_.add_name("example.com");
  Outcome o = run(message("a@mail.example.com", SpfResult::pass, "example.com"));
  EXPECT_EQ(o.result, Result::none);
  EXPECT_EQ(o.dns_queries, 3);  // mail.example.com, example.com, com
  EXPECT_EQ(o.disposition, Policy::none);
}

TEST_F(DmarcEvaluate, Rfc7489_6_6_1_FromRules) {
  zone_.add_txt("_dmarc.good.example", "v=DMARC1; p=reject");
  zone_.add_txt("_dmarc.victim.example", "v=DMARC1; p=reject");
  zone_.add_txt("_dmarc.soft.example", "v=DMARC1; p=quarantine");
  Message none{extract_author(std::vector<std::string>{}), {SpfResult::pass, "good.example"}, {}};
  Outcome o = run(none);
  EXPECT_EQ(o.result, Result::permerror);
  EXPECT_EQ(o.from_handling, FromHandling::reject);
  Message two{extract_author(std::vector<std::string>{"a@good.example", "b@good.example"}), {SpfResult::pass, "good.example"}, {}};
  EXPECT_EQ(run(two).from_handling, FromHandling::reject);
  o = run(message("undisclosed:;", SpfResult::pass, "good.example"));
  EXPECT_EQ(o.result, Result::none);
  EXPECT_EQ(o.from_handling, FromHandling::ignore);
  EXPECT_EQ(o.dns_queries, 0);
  // Several domains: each checked, the strictest failing policy applies.
  o = run(message("a@good.example, b@soft.example, c@victim.example", SpfResult::pass, "good.example"));
  EXPECT_EQ(o.result, Result::fail);
  EXPECT_EQ(o.author_domain, "victim.example");
  EXPECT_EQ(o.disposition, Policy::reject);
  EXPECT_EQ(o.author_domains.size(), 3u);
  EXPECT_EQ(o.from_handling, FromHandling::evaluate);
}

TEST_F(DmarcEvaluate, PslModeWithoutListIsTemperror) {
  options_.mode = OrgDomainMode::rfc7489_psl;
  zone_.add_name("example.com");
  EXPECT_EQ(run(message("a@sub.example.com", SpfResult::pass, "example.com")).result, Result::temperror);
}

}  // namespace
}  // namespace domainauth::dmarc
