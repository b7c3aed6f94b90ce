// check_host() (RFC 7208 4-6) over the in-memory resolver: limits of 4.6.4,
// include/redirect loops, void lookups, MX/PTR name limits, DNS errors,
// IPv4-mapped clients, %{p}, explanations and the counters of Outcome.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include "spf/spf.hpp"
#include "support/memory_resolver.hpp"

namespace domainauth::spf {
namespace {

net::IpAddress ip(const char* text) { return *net::IpAddress::parse(text); }

class SpfCheckHost : public ::testing::Test {
 protected:
  asio::io_context io;
  testing::MemoryResolver zone{io.get_executor()};
  Options options;

  Outcome run(const char* client, const char* sender, const char* helo = "mail.example.net") {
    Outcome out;
    asio::co_spawn(io, check_mail_from(zone, options, ip(client), sender, helo),
                   [&](std::exception_ptr e, Outcome o) {
                     if (e) std::rethrow_exception(e);
                     out = std::move(o);
                   });
    io.restart();
    io.run();
    return out;
  }
};

// RFC 6591 3.2.6 (SPF-DNS of failure reports): every record used, in order,
// including those of include: and redirect= targets; other TXT records are not.
TEST_F(SpfCheckHost, OutcomeListsEveryRecordUsed) {
  zone.add_txt("top.example.com", "v=spf1 include:inc.example.com redirect=red.example.com");
  zone.add_txt("top.example.com", "google-site-verification=abc");
  zone.add_txt("inc.example.com", "v=spf1 ip4:198.51.100.1 -all");
  zone.add_txt("red.example.com", "v=spf1 -all");
  Outcome o = run("192.0.2.1", "x@top.example.com");
  EXPECT_EQ(o.result, Result::fail);
  const std::vector<RecordUsed> expected{{"top.example.com", "v=spf1 include:inc.example.com redirect=red.example.com"},
                                         {"inc.example.com", "v=spf1 ip4:198.51.100.1 -all"},
                                         {"red.example.com", "v=spf1 -all"}};
  EXPECT_EQ(o.records, expected);
}

TEST_F(SpfCheckHost, Rfc7208Section4_6_4IncludeLoopHitsTheTermLimit) {
  zone.add_txt("a.example.com", "v=spf1 include:b.example.com -all");
  zone.add_txt("b.example.com", "v=spf1 include:a.example.com -all");
  Outcome o = run("192.0.2.1", "x@a.example.com");
  EXPECT_EQ(o.result, Result::permerror);
  EXPECT_EQ(o.dns_mechanisms, kMaxDnsMechanisms + 1);
  EXPECT_NE(o.reason.find("DNS-querying terms"), std::string::npos) << o.reason;
  EXPECT_EQ(zone.log().size(), 11u);  // the TXT lookups of 11 levels, nothing more
}

TEST_F(SpfCheckHost, Rfc7208Section4_6_4RedirectLoopHitsTheTermLimit) {
  zone.add_txt("a.example.com", "v=spf1 redirect=a.example.com");
  Outcome o = run("192.0.2.1", "x@a.example.com");
  EXPECT_EQ(o.result, Result::permerror);
  EXPECT_EQ(o.mechanism, "redirect=a.example.com");
}

TEST_F(SpfCheckHost, Rfc7208Section4_6_4TenTermsAllowedEleventhIsPermerror) {
  zone.add_address("h.example.com", ip("198.51.100.1"));
  zone.add_txt("ten.example.com", "v=spf1 a:h.example.com a:h.example.com a:h.example.com a:h.example.com "
                                  "a:h.example.com a:h.example.com a:h.example.com a:h.example.com "
                                  "a:h.example.com a:h.example.com ip4:192.0.2.1");
  zone.add_txt("eleven.example.com", "v=spf1 a:h.example.com a:h.example.com a:h.example.com a:h.example.com "
                                     "a:h.example.com a:h.example.com a:h.example.com a:h.example.com "
                                     "a:h.example.com a:h.example.com a:h.example.com ip4:192.0.2.1");
  Outcome ten = run("192.0.2.1", "x@ten.example.com");
  EXPECT_EQ(ten.result, Result::pass);
  EXPECT_EQ(ten.dns_mechanisms, 10);
  EXPECT_EQ(run("192.0.2.1", "x@eleven.example.com").result, Result::permerror);
}

TEST_F(SpfCheckHost, Rfc7208Section4_6_4ThirdVoidLookupIsPermerror) {
  zone.add_txt("two.example.com", "v=spf1 a:nx1.example.com mx:nx2.example.com ip4:192.0.2.1");
  zone.add_txt("three.example.com", "v=spf1 a:nx1.example.com mx:nx2.example.com exists:nx3.example.com -all");
  Outcome two = run("192.0.2.1", "x@two.example.com");
  EXPECT_EQ(two.result, Result::pass);
  EXPECT_EQ(two.void_lookups, 2);
  Outcome three = run("192.0.2.1", "x@three.example.com");
  EXPECT_EQ(three.result, Result::permerror);
  EXPECT_EQ(three.mechanism, "exists:nx3.example.com");
}

TEST_F(SpfCheckHost, Rfc7208Section4_6_4MoreThanTenMxNamesIsPermerror) {
  zone.add_txt("mx.example.com", "v=spf1 mx -all");
  for (int i = 0; i < 11; ++i) zone.add_mx("mx.example.com", static_cast<std::uint16_t>(i), "m" + std::to_string(i) + ".example.com");
  EXPECT_EQ(run("192.0.2.1", "x@mx.example.com").result, Result::permerror);
}

TEST_F(SpfCheckHost, Rfc7208Section4_6_4OnlyTenPtrNamesAreTried) {
  zone.add_txt("p.example.com", "v=spf1 ptr -all");
  for (int i = 0; i < 10; ++i) zone.add_ptr("1.2.0.192.in-addr.arpa", "n" + std::to_string(i) + ".other.test");
  zone.add_ptr("1.2.0.192.in-addr.arpa", "host.p.example.com");
  zone.add_address("host.p.example.com", ip("192.0.2.1"));
  EXPECT_EQ(run("192.0.2.1", "x@p.example.com").result, Result::fail);
}

TEST_F(SpfCheckHost, Rfc7208Section5_5PtrValidatesForwardAndReverse) {
  zone.add_txt("p.example.com", "v=spf1 ptr -all");
  zone.add_ptr("1.2.0.192.in-addr.arpa", "Host.P.Example.com.");
  zone.add_address("host.p.example.com", ip("192.0.2.1"));
  Outcome o = run("192.0.2.1", "x@p.example.com");
  EXPECT_EQ(o.result, Result::pass);
  EXPECT_EQ(run("192.0.2.2", "x@p.example.com").result, Result::fail);
}

TEST_F(SpfCheckHost, Rfc7208Section5DnsErrorIsTemperror) {
  zone.add_txt("t.example.com", "v=spf1 a:slow.example.com -all");
  zone.set_timeout("slow.example.com");
  zone.set_servfail("broken.example.com");
  Outcome o = run("192.0.2.1", "x@t.example.com");
  EXPECT_EQ(o.result, Result::temperror);
  EXPECT_NE(o.reason.find("timeout"), std::string::npos) << o.reason;
  EXPECT_EQ(run("192.0.2.1", "x@broken.example.com").result, Result::temperror);
}

TEST_F(SpfCheckHost, Rfc7208Section5_2IncludeResults) {
  zone.add_txt("pass.example.com", "v=spf1 +all");
  zone.add_txt("fail.example.com", "v=spf1 -all");
  zone.add_txt("perm.example.com", "v=spf1 foo");
  zone.set_timeout("temp.example.com");
  zone.add_txt("i1.example.com", "v=spf1 -include:pass.example.com +all");
  zone.add_txt("i2.example.com", "v=spf1 -include:fail.example.com ~all");
  zone.add_txt("i3.example.com", "v=spf1 include:none.example.com +all");
  zone.add_txt("i4.example.com", "v=spf1 include:perm.example.com +all");
  zone.add_txt("i5.example.com", "v=spf1 include:temp.example.com +all");
  EXPECT_EQ(run("192.0.2.1", "x@i1.example.com").result, Result::fail);
  EXPECT_EQ(run("192.0.2.1", "x@i2.example.com").result, Result::softfail);
  EXPECT_EQ(run("192.0.2.1", "x@i3.example.com").result, Result::permerror);
  EXPECT_EQ(run("192.0.2.1", "x@i4.example.com").result, Result::permerror);
  EXPECT_EQ(run("192.0.2.1", "x@i5.example.com").result, Result::temperror);
}

TEST_F(SpfCheckHost, Rfc7208Section5Ipv4MappedClientIsIpv4) {
  zone.add_txt("m.example.com", "v=spf1 ip6:::ffff:0:0/96 ip4:192.0.2.0/24 -all");
  Outcome o = run("::ffff:192.0.2.7", "x@m.example.com");
  EXPECT_EQ(o.result, Result::pass);
  EXPECT_EQ(o.mechanism, "ip4:192.0.2.0/24");
}

TEST_F(SpfCheckHost, Rfc7208Section4_3InitialDomainChecks) {
  EXPECT_EQ(run("192.0.2.1", "x@localhost").result, Result::none);
  EXPECT_EQ(run("192.0.2.1", "x@[192.0.2.1]").result, Result::none);
  EXPECT_EQ(run("192.0.2.1", "x@a..example.com").result, Result::none);
  EXPECT_EQ(run("192.0.2.1", ("x@" + std::string(64, 'a') + ".example.com").c_str()).result, Result::none);
  EXPECT_EQ(run("192.0.2.1", "x@nx.example.com").result, Result::none);
  EXPECT_TRUE(zone.log().size() == 1u) << "only nx.example.com is looked up";
}

TEST_F(SpfCheckHost, Rfc7208Section4_3NullSenderUsesPostmasterAtHelo) {
  zone.add_txt("helo.example.com", "v=spf1 -all exp=why.example.com");
  zone.add_txt("why.example.com", "%{s} via %{h} from %{i}");
  Outcome o = run("192.0.2.1", "", "helo.example.com");
  EXPECT_EQ(o.result, Result::fail);
  EXPECT_EQ(o.sender, "postmaster@helo.example.com");
  EXPECT_EQ(o.explanation, "postmaster@helo.example.com via helo.example.com from 192.0.2.1");
}

TEST_F(SpfCheckHost, Rfc7208Section6_2DefaultExplanationIsExpanded) {
  zone.add_txt("f.example.com", "v=spf1 -all");
  Outcome o = run("192.0.2.1", "x@f.example.com");
  EXPECT_EQ(o.explanation, "f.example.com does not designate 192.0.2.1 as a permitted sender");
  EXPECT_EQ(o.mechanism, "-all");
}

TEST_F(SpfCheckHost, Rfc7208Section7_3ValidatedNameMacro) {
  zone.add_txt("p.example.com", "v=spf1 -all exp=why.example.com");
  zone.add_txt("why.example.com", "from %{p}");
  zone.add_ptr("1.2.0.192.in-addr.arpa", "other.test");
  zone.add_ptr("1.2.0.192.in-addr.arpa", "mail.p.example.com");
  zone.add_address("other.test", ip("192.0.2.1"));
  zone.add_address("mail.p.example.com", ip("192.0.2.1"));
  EXPECT_EQ(run("192.0.2.1", "x@p.example.com").explanation, "from mail.p.example.com");
}

TEST_F(SpfCheckHost, Rfc7208Section7_3LongMacroExpansionIsTruncatedNotAnError) {
  // The local part is 60 octets; eight copies make 501 octets, and five whole
  // labels must go (four leave 257).
  std::string local(60, 'l');
  std::string rest = "%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.x.example.com";
  zone.add_txt("long.example.com", "v=spf1 exists:" + rest + " -all");
  std::string kept = local + "." + local + "." + local + ".x.example.com";
  zone.add_address(kept, ip("127.0.0.2"));
  Outcome o = run("192.0.2.1", (local + "@long.example.com").c_str());
  EXPECT_EQ(o.result, Result::pass) << o.reason;
}

TEST_F(SpfCheckHost, MacroMakingAnInvalidNameDoesNotMatch) {
  zone.add_txt("bad.example.com", "v=spf1 a:%{l}.example.com ?all");
  std::string local(70, 'q');  // a 70-octet label
  Outcome o = run("192.0.2.1", (local + "@bad.example.com").c_str());
  EXPECT_EQ(o.result, Result::neutral);
  EXPECT_EQ(o.void_lookups, 0);
}

TEST_F(SpfCheckHost, Rfc7208Section4_5SeveralRecordsArePermerror) {
  zone.add_txt("two.example.com", "v=spf1 -all");
  zone.add_txt("two.example.com", "v=spf1 +all");
  zone.add_txt("two.example.com", "google-site-verification=abc");
  Outcome o = run("192.0.2.1", "x@two.example.com");
  EXPECT_EQ(o.result, Result::permerror);
  EXPECT_NE(o.reason.find("2 SPF records"), std::string::npos) << o.reason;
}

TEST_F(SpfCheckHost, Rfc7208Section4_6_4ElapsedTimeLimitGivesTemperror) {
  zone.add_txt("slow.example.com", "v=spf1 a -all");
  options.max_elapsed = std::chrono::seconds(0);
  Outcome o = run("192.0.2.1", "x@slow.example.com");
  EXPECT_EQ(o.result, Result::temperror);
  EXPECT_NE(o.reason.find("longer than 0 s"), std::string::npos) << o.reason;
  EXPECT_TRUE(zone.log().empty());
}

TEST_F(SpfCheckHost, HeloIdentity) {
  zone.add_txt("mail.example.net", "v=spf1 ip4:192.0.2.0/24 -all");
  Outcome out;
  asio::co_spawn(io, check_helo(zone, options, ip("192.0.2.9"), "mail.example.net"),
                 [&](std::exception_ptr, Outcome o) { out = std::move(o); });
  io.run();
  EXPECT_EQ(out.result, Result::pass);
  EXPECT_EQ(out.identity, Identity::helo);
  EXPECT_EQ(out.sender, "postmaster@mail.example.net");
}

}  // namespace
}  // namespace domainauth::spf
