// End-to-end tests of both dns::Resolver implementations (StubResolver and
// UnboundResolver, the same tests for each) against a real unbound on loopback,
// started by run.py with the data it lists (RFC 1035 record types, RFC 2308
// negative answers, CNAME following, TCP for long answers, timeouts, caching,
// concurrency), and of DNSSEC validation (UnboundResolver with a trust anchor).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>

#include "dns/await.hpp"
#include "dns/sync.hpp"
#include "dns/stub_resolver.hpp"
#include "dns/unbound_resolver.hpp"

namespace domainauth::dns {
namespace {

using namespace std::chrono_literals;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Sends "stop" or "start" to run.py's control socket; true when it answered "ok".
bool control(const std::string& command) {
  const std::string path = env("DOMAINAUTH_DNS_CONTROL");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  const std::string line = command + "\n";
  ok = ok && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  char reply[64] = {};
  ok = ok && ::read(fd, reply, sizeof(reply) - 1) > 0 && std::string(reply) == "ok\n";
  ::close(fd);
  return ok;
}

// R: the implementation under test (StubResolver or UnboundResolver).
template <typename R>
class ResolverE2e : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(env("DOMAINAUTH_DNS_SERVER").empty()) << "run me through run.py"; }

  std::unique_ptr<R> make(std::chrono::milliseconds timeout = 3000ms,
                          std::vector<std::string> servers = {env("DOMAINAUTH_DNS_SERVER")}) {
    std::string error;
    auto resolver = R::create(io_.get_executor(), {std::move(servers), timeout, ""}, error);
    EXPECT_TRUE(resolver) << error;
    return resolver;
  }

  Answer ask(Resolver& resolver, std::string_view name, RecordType type) {
    return run_sync(io_, lookup(resolver, std::string(name), type));
  }

  Answer ask(std::string_view name, RecordType type) {
    auto resolver = make();
    return ask(*resolver, name, type);
  }

  asio::io_context io_;
};

using Implementations = ::testing::Types<StubResolver, UnboundResolver>;
TYPED_TEST_SUITE(ResolverE2e, Implementations);

std::set<std::string> texts(const std::vector<net::IpAddress>& addresses) {
  std::set<std::string> out;
  for (const auto& a : addresses) out.insert(a.to_string());
  return out;
}

TYPED_TEST(ResolverE2e, rfc1035_a_records) {
  const Answer a = this->ask("host.e2e.test", RecordType::a);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(texts(a.addresses), (std::set<std::string>{"192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(a.dnssec, Dnssec::insecure);
}

TYPED_TEST(ResolverE2e, rfc3596_aaaa_record) {
  const Answer a = this->ask("HOST.e2e.test.", RecordType::aaaa);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(texts(a.addresses), (std::set<std::string>{"2001:db8::1"}));
}

TYPED_TEST(ResolverE2e, rfc1035_mx_records_lower_case_without_trailing_dot) {
  Answer a = this->ask("e2e.test", RecordType::mx);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  ASSERT_EQ(a.mx.size(), 2u);
  std::sort(a.mx.begin(), a.mx.end(), [](const MxRecord& x, const MxRecord& y) { return x.preference < y.preference; });
  EXPECT_EQ(a.mx[0].preference, 10);
  EXPECT_EQ(a.mx[0].exchange, "mx1.e2e.test");
  EXPECT_EQ(a.mx[1].preference, 20);
  EXPECT_EQ(a.mx[1].exchange, "mx2.e2e.test");
}

TYPED_TEST(ResolverE2e, rfc1035_ptr_record) {
  const auto ip = net::IpAddress::parse("192.0.2.1");
  ASSERT_TRUE(ip);
  const Answer a = this->ask(ip->reverse_name(), RecordType::ptr);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.names, std::vector<std::string>{"host.e2e.test"});
}

TYPED_TEST(ResolverE2e, rfc7208_3_3_txt_strings_joined_per_record) {
  const Answer a = this->ask("multi.e2e.test", RecordType::txt);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(std::set<std::string>(a.txt.begin(), a.txt.end()),
            (std::set<std::string>{"v=spf1 ip4:192.0.2.0/24 -all", "second record"}));
}

TYPED_TEST(ResolverE2e, txt_longer_than_255_octets_and_than_a_udp_answer) {
  const Answer a = this->ask("long.e2e.test", RecordType::txt);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  ASSERT_EQ(a.txt.size(), 1u);
  EXPECT_EQ(a.txt[0].size(), 2000u);
  EXPECT_EQ(a.txt[0], env("DOMAINAUTH_LONG_TXT"));
}

TYPED_TEST(ResolverE2e, empty_txt_record_is_empty_string) {
  const Answer a = this->ask("empty.e2e.test", RecordType::txt);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.txt, std::vector<std::string>{""});
}

TYPED_TEST(ResolverE2e, rfc2308_nxdomain_and_nodata_kept_apart) {
  auto resolver = this->make();
  EXPECT_EQ(this->ask(*resolver, "missing.e2e.test", RecordType::a).status, Status::nxdomain);
  EXPECT_EQ(this->ask(*resolver, "host.e2e.test", RecordType::txt).status, Status::nodata);
  EXPECT_EQ(this->ask(*resolver, "host.e2e.test", RecordType::mx).status, Status::nodata);
  EXPECT_EQ(this->ask(*resolver, "missing.e2e.test", RecordType::txt).status, Status::nxdomain);
}

TYPED_TEST(ResolverE2e, servfail_is_transient_with_detail) {
  const Answer a = this->ask("broken.e2e.test", RecordType::txt);
  EXPECT_EQ(a.status, Status::servfail);
  EXPECT_EQ(a.detail, "SERVFAIL");
}

TYPED_TEST(ResolverE2e, timeout_honoured) {
  auto resolver = this->make(700ms);
  const auto start = std::chrono::steady_clock::now();
  const Answer a = this->ask(*resolver, "slow.e2e.test", RecordType::txt);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(a.status, Status::timeout) << a.detail;
  EXPECT_GE(took, 700ms);
  EXPECT_LT(took, 1100ms);
}

TYPED_TEST(ResolverE2e, cname_followed) {
  auto resolver = this->make();
  const Answer a = this->ask(*resolver, "alias.e2e.test", RecordType::a);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(texts(a.addresses), (std::set<std::string>{"192.0.2.1", "192.0.2.2"}));
  const Answer t = this->ask(*resolver, "txtalias.e2e.test", RecordType::txt);
  ASSERT_EQ(t.status, Status::answer) << t.detail;
  EXPECT_EQ(t.txt.size(), 2u);
}

TYPED_TEST(ResolverE2e, two_hundred_concurrent_queries_on_one_thread) {
  constexpr int count = 200;
  auto resolver = this->make(5000ms);
  std::vector<std::optional<Answer>> answers(count);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    resolver->query("n" + std::to_string(i) + ".many.e2e.test", RecordType::a,
                    [&answers, i](Answer a) { answers[static_cast<std::size_t>(i)] = std::move(a); });
  }
  EXPECT_EQ(resolver->in_flight(), static_cast<std::size_t>(count));
  this->io_.restart();
  this->io_.run();
  const auto took = std::chrono::steady_clock::now() - start;
  for (int i = 0; i < count; ++i) {
    const auto& a = answers[static_cast<std::size_t>(i)];
    ASSERT_TRUE(a) << i;
    ASSERT_EQ(a->status, Status::answer) << i << ": " << a->detail;
    ASSERT_EQ(a->addresses.size(), 1u);
    EXPECT_EQ(a->addresses[0].to_string(), "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  }
  EXPECT_LT(took, 2s) << "queries were not in flight together";
}

TYPED_TEST(ResolverE2e, answers_cached_while_the_server_is_down) {
  auto resolver = this->make(1500ms);
  ASSERT_EQ(this->ask(*resolver, "cached.e2e.test", RecordType::a).status, Status::answer);
  ASSERT_EQ(this->ask(*resolver, "missing-cached.e2e.test", RecordType::a).status, Status::nxdomain);
  ASSERT_TRUE(control("stop"));
  const Answer cached = this->ask(*resolver, "cached.e2e.test", RecordType::a);
  const Answer negative = this->ask(*resolver, "missing-cached.e2e.test", RecordType::a);
  const Answer uncached = this->ask(*resolver, "host.e2e.test", RecordType::a);
  ASSERT_TRUE(control("start"));
  ASSERT_EQ(cached.status, Status::answer) << cached.detail;
  EXPECT_EQ(texts(cached.addresses), (std::set<std::string>{"192.0.2.99"}));
  EXPECT_EQ(negative.status, Status::nxdomain) << "RFC 2308 negative caching";
  EXPECT_TRUE(uncached.transient()) << "the server was not down: " << to_string(uncached.status);
}

TYPED_TEST(ResolverE2e, servers_from_resolv_conf) {
  // netns-run's /etc/resolv.conf names 127.0.0.53, where the harness also listens.
  auto resolver = this->make(3000ms, {});
  const Answer a = this->ask(*resolver, "host.e2e.test", RecordType::aaaa);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
}

class DnssecE2e : public ResolverE2e<UnboundResolver> {
 protected:
  std::unique_ptr<UnboundResolver> validating() {
    std::string error;
    auto resolver = UnboundResolver::create(
        io_.get_executor(), {{env("DOMAINAUTH_DNS_SERVER")}, 3000ms, env("DOMAINAUTH_DNS_TRUST_ANCHOR")}, error);
    EXPECT_TRUE(resolver) << error;
    return resolver;
  }
};

TEST_F(DnssecE2e, rfc4035_signed_answer_is_secure) {
  std::string error;
  auto chosen = make_resolver(io_.get_executor(), {{env("DOMAINAUTH_DNS_SERVER")}, 3000ms, env("DOMAINAUTH_DNS_TRUST_ANCHOR")}, error);
  EXPECT_TRUE(dynamic_cast<UnboundResolver*>(chosen.get())) << "a trust anchor: libunbound, which validates";
  auto resolver = validating();
  const Answer a = ask(*resolver, "secure.test", RecordType::txt);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.dnssec, Dnssec::secure) << a.detail;
  EXPECT_EQ(a.txt, std::vector<std::string>{"v=spf1 -all"});
  const Answer host = ask(*resolver, "host.secure.test", RecordType::a);
  ASSERT_EQ(host.status, Status::answer) << host.detail;
  EXPECT_EQ(host.dnssec, Dnssec::secure);
}

TEST_F(DnssecE2e, rfc4035_proven_nxdomain_and_nodata_are_secure) {
  auto resolver = validating();
  const Answer nx = ask(*resolver, "missing.secure.test", RecordType::txt);
  EXPECT_EQ(nx.status, Status::nxdomain) << nx.detail;
  EXPECT_EQ(nx.dnssec, Dnssec::secure);
  const Answer nodata = ask(*resolver, "host.secure.test", RecordType::txt);
  EXPECT_EQ(nodata.status, Status::nodata) << nodata.detail;
  EXPECT_EQ(nodata.dnssec, Dnssec::secure);
}

TEST_F(DnssecE2e, rfc4035_5_5_tampered_data_is_bogus_servfail) {
  auto resolver = validating();
  const Answer a = ask(*resolver, "tampered.secure.test", RecordType::txt);
  EXPECT_EQ(a.status, Status::servfail);
  EXPECT_EQ(a.dnssec, Dnssec::bogus);
  EXPECT_NE(a.detail.find("DNSSEC bogus: "), std::string::npos) << a.detail;
  EXPECT_EQ(a.detail.find("no reason given"), std::string::npos) << "libunbound's why_bogus is passed on";
  EXPECT_TRUE(a.txt.empty());
}

TEST_F(DnssecE2e, names_outside_the_trust_anchor_are_insecure) {
  auto resolver = validating();
  const Answer a = ask(*resolver, "host.e2e.test", RecordType::a);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.dnssec, Dnssec::insecure);
}

TEST_F(DnssecE2e, without_trust_anchor_nothing_is_validated) {
  std::string error;
  auto resolver = make_resolver(io_.get_executor(), {{env("DOMAINAUTH_DNS_SERVER")}, 3000ms, ""}, error);
  ASSERT_TRUE(resolver) << error;
  EXPECT_TRUE(dynamic_cast<StubResolver*>(resolver.get())) << "no trust anchor: the stub resolver";
  const Answer a = ask(*resolver, "tampered.secure.test", RecordType::txt);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.dnssec, Dnssec::insecure);
  EXPECT_EQ(a.txt, std::vector<std::string>{"altered after signing"});
}

}  // namespace
}  // namespace domainauth::dns
