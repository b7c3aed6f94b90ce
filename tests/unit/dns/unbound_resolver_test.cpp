// Unit tests of UnboundResolver that need no DNS server: configuration errors,
// names libunbound refuses, and, against a silent UDP socket on loopback, the
// per-query timeout and destruction with queries in flight.
#include "dns/unbound_resolver.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <fstream>
#include <optional>

namespace domainauth::dns {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<UnboundResolver> make(asio::io_context& io, ResolverConfig config) {
  std::string error;
  auto resolver = UnboundResolver::create(io.get_executor(), config, error);
  EXPECT_TRUE(resolver) << error;
  return resolver;
}

// A UDP socket on 127.0.0.1 that receives queries and never answers.
struct Blackhole {
  explicit Blackhole(asio::io_context& io) : socket(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  [[nodiscard]] std::string spec() const { return "127.0.0.1:" + std::to_string(socket.local_endpoint().port()); }
  asio::ip::udp::socket socket;
};

TEST(UnboundResolverConfig, bad_settings_are_refused_with_a_reason) {
  struct Case {
    const char* rule;
    ResolverConfig config;
    const char* error_part;
  };
  std::vector<Case> cases = {
      {"server not an address", {{"dns.example"}, 5000ms, ""}, "not an IP address"},
      {"bad port", {{"127.0.0.1:99999"}, 5000ms, ""}, "bad port"},
      {"zero timeout", {{"127.0.0.1"}, 0ms, ""}, "timeout"},
      {"missing trust anchor", {{"127.0.0.1"}, 5000ms, "/nonexistent/anchor.key"}, "trust anchor"},
  };
  asio::io_context io;
  const std::string garbage = ::testing::TempDir() + "garbage.anchor";
  std::ofstream(garbage) << "this is not a DS record\n";
  cases.push_back({"unparsable trust anchor", {{"127.0.0.1"}, 5000ms, garbage}, "trust anchor file"});
  for (const Case& c : cases) {
    std::string error;
    EXPECT_FALSE(UnboundResolver::create(io.get_executor(), c.config, error)) << c.rule;
    EXPECT_NE(error.find(c.error_part), std::string::npos) << c.rule << ": got \"" << error << "\"";
  }
}

TEST(UnboundResolver, refused_names_are_servfail_delivered_later) {
  asio::io_context io;
  auto resolver = make(io, {{"127.0.0.1:1"}, 1000ms, ""});
  const std::vector<std::string> names = {std::string("a\0b.example", 11), std::string(64, 'x') + ".example"};
  std::vector<Answer> answers;
  for (const std::string& name : names) {
    resolver->query(name, RecordType::a, [&](Answer a) { answers.push_back(std::move(a)); });
  }
  EXPECT_TRUE(answers.empty()) << "a handler ran inside query()";
  io.run();
  ASSERT_EQ(answers.size(), 2u);
  for (const Answer& a : answers) {
    EXPECT_EQ(a.status, Status::servfail);
    EXPECT_FALSE(a.detail.empty());
  }
}

TEST(UnboundResolver, timeout_is_honoured) {
  asio::io_context io;
  Blackhole blackhole(io);
  auto resolver = make(io, {{blackhole.spec()}, 200ms, ""});
  std::optional<Answer> answer;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration took{};
  resolver->query("slow.example", RecordType::txt, [&](Answer a) {
    took = std::chrono::steady_clock::now() - start;
    answer = std::move(a);
  });
  EXPECT_EQ(resolver->in_flight(), 1u);
  io.run();  // returns: nothing is left to wait for once the query timed out
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, Status::timeout);
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 500ms);
  EXPECT_EQ(resolver->in_flight(), 0u);
}

TEST(UnboundResolver, destruction_in_flight_posts_servfail) {
  asio::io_context io;
  Blackhole blackhole(io);
  auto resolver = make(io, {{blackhole.spec()}, 5000ms, ""});
  std::vector<Answer> answers;
  for (int i = 0; i < 5; ++i) {
    resolver->query("q" + std::to_string(i) + ".example", RecordType::a, [&](Answer a) { answers.push_back(std::move(a)); });
  }
  io.poll();
  resolver.reset();
  EXPECT_TRUE(answers.empty()) << "a handler ran inside the destructor";
  io.run();
  ASSERT_EQ(answers.size(), 5u);
  for (const Answer& a : answers) {
    EXPECT_EQ(a.status, Status::servfail);
    EXPECT_EQ(a.detail, "resolver shut down");
  }
}

TEST(UnboundResolver, destruction_with_io_context_gone_drops_handlers) {
  auto io = std::make_unique<asio::io_context>();
  auto blackhole = std::make_unique<Blackhole>(*io);
  auto resolver = make(*io, {{blackhole->spec()}, 5000ms, ""});
  auto alive = std::make_shared<int>(0);
  resolver->query("gone.example", RecordType::a, [alive](Answer) { ++*alive; });
  resolver.reset();
  blackhole.reset();
  io.reset();  // the posted handler is destroyed, not run
  EXPECT_EQ(alive.use_count(), 1);
  EXPECT_EQ(*alive, 0);
}

}  // namespace
}  // namespace domainauth::dns
