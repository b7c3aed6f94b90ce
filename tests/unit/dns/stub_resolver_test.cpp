// Unit tests of StubResolver against scripted DNS servers on loopback (UDP and
// TCP sockets in the test's own io_context): caching and coalescing, replies
// that are not ours, retries to the next server, timeouts, truncation to TCP,
// FORMERR without EDNS0, CNAME targets, socket reuse and rotation, bad names,
// destruction in flight, configuration and resolv.conf.
#include "dns/stub_resolver.hpp"

#include <gtest/gtest.h>

#include <system_error>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <set>

#include "dns_wire.hpp"
#include "support/temp_dir.hpp"

namespace domainauth::dns {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using asio::ip::udp;
using wire::Bytes;

constexpr unsigned type_a = 1, type_cname = 5;

// A query as the server saw it.
struct Seen {
  unsigned id;
  Bytes qname;  // wire format, as sent
  unsigned qtype;
  bool edns;
  unsigned short port;  // the resolver's source port
};

Seen parse_query(const Bytes& q, unsigned short port) {
  Seen seen{static_cast<unsigned>((q[0] << 8) | q[1]), {}, 0, ((q[10] << 8) | q[11]) != 0, port};
  std::size_t pos = 12;
  while (q[pos] != 0) pos += q[pos] + 1u;
  seen.qname.assign(q.begin() + 12, q.begin() + static_cast<std::ptrdiff_t>(pos + 1));
  seen.qtype = static_cast<unsigned>((q[pos + 1] << 8) | q[pos + 2]);
  return seen;
}

// A UDP (and optionally TCP) server on loopback (127.0.0.1, or ::1) whose replies
// come from the script: for each query, the datagrams to send back (none: silence).
class ScriptedServer {
 public:
  using Script = std::function<std::vector<Bytes>(const Seen&)>;

  // Binds a port free for both UDP and TCP (another process may hold the TCP
  // port of a free UDP one, as tests run side by side); TCP listens only after
  // listen_tcp(), until then a connection is refused.
  ScriptedServer(asio::io_context& io, Script script, const char* address = "127.0.0.1")
      : udp_(io), tcp_(io), script_(std::move(script)) {
    const auto ip = asio::ip::make_address(address);
    for (int attempt = 0;; ++attempt) {
      tcp_.open(ip.is_v6() ? tcp::v6() : tcp::v4());
      tcp_.bind(tcp::endpoint(ip, 0));
      std::error_code ec;
      udp_.open(ip.is_v6() ? udp::v6() : udp::v4());
      udp_.bind(udp::endpoint(ip, tcp_.local_endpoint().port()), ec);
      if (!ec) break;
      udp_.close();
      tcp_.close();
      if (attempt == 100) throw std::system_error(ec, "no port free for UDP and TCP");
    }
    receive();
  }

  // Also answers over TCP on the same port, with tcp_script.
  void listen_tcp(Script tcp_script) {
    tcp_script_ = std::move(tcp_script);
    tcp_.listen();
    accept();
  }

  [[nodiscard]] std::string spec() const {
    const auto at = udp_.local_endpoint();
    const std::string host = at.address().is_v6() ? "[" + at.address().to_string() + "]" : at.address().to_string();
    return host + ":" + std::to_string(at.port());
  }

  std::vector<Seen> seen;      // over UDP
  std::vector<Seen> seen_tcp;  // over TCP

 private:
  void receive() {
    udp_.async_receive_from(asio::buffer(buffer_), from_, [this](const std::error_code& ec, std::size_t size) {
      if (ec) return;
      seen.push_back(parse_query(Bytes(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size)),
                                 from_.port()));
      for (const Bytes& reply : script_(seen.back())) udp_.send_to(asio::buffer(reply), from_);
      receive();
    });
  }

  void accept() {
    tcp_.async_accept([this](const std::error_code& ec, tcp::socket socket) {
      if (ec) return;
      auto peer = std::make_shared<tcp::socket>(std::move(socket));
      auto length = std::make_shared<std::array<std::uint8_t, 2>>();
      asio::async_read(*peer, asio::buffer(*length), [this, peer, length](const std::error_code& e, std::size_t) {
        if (e) return;
        auto query = std::make_shared<Bytes>(static_cast<std::size_t>(((*length)[0] << 8) | (*length)[1]));
        asio::async_read(*peer, asio::buffer(*query), [this, peer, query](const std::error_code& e2, std::size_t) {
          if (e2) return;
          seen_tcp.push_back(parse_query(*query, 0));
          for (const Bytes& reply : tcp_script_(seen_tcp.back())) {
            auto framed = std::make_shared<Bytes>();
            wire::put16(*framed, static_cast<unsigned>(reply.size()));
            wire::append(*framed, reply);
            asio::async_write(*peer, asio::buffer(*framed), [peer, framed](const std::error_code&, std::size_t) {});
          }
        });
      });
      accept();
    });
  }

  udp::socket udp_;
  tcp::acceptor tcp_;
  Script script_;
  Script tcp_script_;
  std::array<std::uint8_t, 65536> buffer_{};
  udp::endpoint from_;
};

// The reply to query with the given flags and answer records.
Bytes reply_to(const Seen& q, std::initializer_list<wire::Rr> answers, unsigned flags = 0x8180) {
  return wire::reply({q.id, flags}, q.qname, q.qtype, answers);
}

Bytes a_reply(const Seen& q, std::uint32_t ttl, std::uint8_t last = 1) {
  return reply_to(q, {{wire::pointer(12), type_a, ttl, {192, 0, 2, last}}});
}

std::unique_ptr<StubResolver> make(asio::io_context& io, std::vector<std::string> servers,
                                   std::chrono::milliseconds timeout = 2000ms) {
  std::string error;
  auto resolver = StubResolver::create(io.get_executor(), {std::move(servers), timeout, ""}, error);
  EXPECT_TRUE(resolver) << error;
  return resolver;
}

Answer ask(asio::io_context& io, Resolver& resolver, const std::string& name, RecordType type = RecordType::a) {
  std::optional<Answer> answer;
  resolver.query(name, type, [&](Answer a) { answer = std::move(a); });
  io.restart();
  while (!answer && io.run_one() > 0) {
  }
  EXPECT_TRUE(answer) << name;
  return answer.value_or(Answer{});
}

TEST(StubResolver, answers_are_cached_for_their_ttl_only) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) {
    return std::vector<Bytes>{a_reply(q, q.qname == wire::name("zero.example") ? 0 : 60)};
  });
  auto resolver = make(io, {server.spec()});
  EXPECT_EQ(ask(io, *resolver, "cached.example").status, Status::answer);
  const Answer again = ask(io, *resolver, "CACHED.example.");
  ASSERT_EQ(again.status, Status::answer);
  EXPECT_EQ(again.addresses.at(0).to_string(), "192.0.2.1");
  EXPECT_EQ(ask(io, *resolver, "zero.example").status, Status::answer);
  EXPECT_EQ(ask(io, *resolver, "zero.example").status, Status::answer);
  EXPECT_EQ(server.seen.size(), 3u) << "cached.example asked once (any case), zero.example (TTL 0) twice";
}

TEST(StubResolver, ipv6_server_over_udp_and_tcp) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) {
    if (q.qname == wire::name("long.example")) return std::vector<Bytes>{reply_to(q, {}, 0x8380)};
    return std::vector<Bytes>{a_reply(q, 60)};
  }, "::1");
  server.listen_tcp([](const Seen& q) { return std::vector<Bytes>{a_reply(q, 60, 9)}; });
  auto resolver = make(io, {server.spec()});
  EXPECT_EQ(ask(io, *resolver, "host.example").status, Status::answer);
  const Answer a = ask(io, *resolver, "long.example");
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.addresses.at(0).to_string(), "192.0.2.9");
  EXPECT_EQ(server.seen_tcp.size(), 1u);
}

TEST(StubResolver, the_same_question_in_flight_is_asked_once) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) { return std::vector<Bytes>{a_reply(q, 0)}; });
  auto resolver = make(io, {server.spec()});
  int answered = 0;
  for (int i = 0; i < 3; ++i) {
    resolver->query("same.example", RecordType::a, [&](const Answer& a) { answered += a.found() ? 1 : 0; });
  }
  EXPECT_EQ(resolver->in_flight(), 1u);
  while (answered < 3 && io.run_one_for(1s) > 0) {
  }
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(server.seen.size(), 1u);
}

TEST(StubResolver, rfc5452_replies_with_another_id_or_question_are_ignored) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) {
    Seen other_id = q;
    other_id.id ^= 0x5555;
    Seen other_name = q;
    other_name.qname = wire::name("evil.example");
    return std::vector<Bytes>{a_reply(other_id, 60, 66), a_reply(other_name, 60, 67), a_reply(q, 60, 1)};
  });
  auto resolver = make(io, {server.spec()});
  const Answer a = ask(io, *resolver, "target.example");
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.addresses.at(0).to_string(), "192.0.2.1");
}

TEST(StubResolver, unanswered_query_goes_to_the_next_server) {
  asio::io_context io;
  ScriptedServer silent(io, [](const Seen&) { return std::vector<Bytes>{}; });
  ScriptedServer working(io, [](const Seen& q) { return std::vector<Bytes>{a_reply(q, 60)}; });
  auto resolver = make(io, {silent.spec(), working.spec()}, 2000ms);
  const auto start = std::chrono::steady_clock::now();
  const Answer a = ask(io, *resolver, "host.example");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(silent.seen.size(), 1u);
  EXPECT_EQ(working.seen.size(), 1u);
  EXPECT_GE(took, 500ms) << "retried after a quarter of the timeout";
  EXPECT_LT(took, 2000ms);
}

TEST(StubResolver, late_reply_to_an_earlier_send_is_taken) {
  asio::io_context io;
  std::optional<Seen> first;
  ScriptedServer slow(io, [&](const Seen& q) {
    if (!first) {
      first = q;
      return std::vector<Bytes>{};
    }
    return std::vector<Bytes>{a_reply(*first, 60, 3)};  // the answer to the first send, late
  });
  auto resolver = make(io, {slow.spec()}, 800ms);
  const Answer a = ask(io, *resolver, "host.example");
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.addresses.at(0).to_string(), "192.0.2.3");
  ASSERT_EQ(slow.seen.size(), 2u);
  EXPECT_NE(slow.seen[0].id, slow.seen[1].id);
}

TEST(StubResolver, servfail_is_asked_of_the_next_server_at_once) {
  asio::io_context io;
  ScriptedServer failing(io, [](const Seen& q) { return std::vector<Bytes>{reply_to(q, {}, 0x8185)}; });  // REFUSED
  ScriptedServer working(io, [](const Seen& q) { return std::vector<Bytes>{a_reply(q, 60)}; });
  auto resolver = make(io, {failing.spec(), working.spec()}, 4000ms);
  const auto start = std::chrono::steady_clock::now();
  const Answer a = ask(io, *resolver, "host.example");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms) << "not after the retry interval (1 s)";
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(failing.seen.size(), 1u);
  EXPECT_EQ(working.seen.size(), 1u);
  // When every server has failed, the failure is the answer.
  ScriptedServer failing_too(io, [](const Seen& q) { return std::vector<Bytes>{reply_to(q, {}, 0x8182)}; });
  auto both_fail = make(io, {failing.spec(), failing_too.spec()}, 2000ms);
  const Answer b = ask(io, *both_fail, "host.example");
  EXPECT_EQ(b.status, Status::servfail);
  EXPECT_EQ(b.detail, "SERVFAIL");
}

TEST(StubResolver, failure_of_one_send_does_not_end_the_others) {
  asio::io_context io;
  std::optional<Seen> first;
  ScriptedServer server(io, [&](const Seen& q) {
    if (!first) {
      first = q;
      return std::vector<Bytes>{};
    }
    // The retry fails at once; the first send is answered after it.
    return std::vector<Bytes>{reply_to(q, {}, 0x8182), a_reply(*first, 60, 4)};
  });
  auto resolver = make(io, {server.spec()}, 800ms);
  const Answer a = ask(io, *resolver, "host.example");
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.addresses.at(0).to_string(), "192.0.2.4");
}

TEST(StubResolver, timeout_after_retries_says_so) {
  asio::io_context io;
  ScriptedServer silent(io, [](const Seen&) { return std::vector<Bytes>{}; });
  auto resolver = make(io, {silent.spec()}, 400ms);
  const auto start = std::chrono::steady_clock::now();
  const Answer a = ask(io, *resolver, "slow.example");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(a.status, Status::timeout);
  EXPECT_NE(a.detail.find("no answer within 400 ms"), std::string::npos) << a.detail;
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 1000ms);
  // Sent at 0, 100, 200 and 300 ms; a loaded machine may fire a retry late.
  EXPECT_GE(silent.seen.size(), 2u);
  EXPECT_LE(silent.seen.size(), 4u);
  EXPECT_EQ(resolver->in_flight(), 0u);
}

TEST(StubResolver, refused_port_is_named_in_the_timeout) {
  asio::io_context io;
  // A port nobody listens on: bind one, note it, close it.
  udp::socket probe(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string spec = "127.0.0.1:" + std::to_string(probe.local_endpoint().port());
  probe.close();
  auto resolver = make(io, {spec}, 300ms);
  std::optional<Answer> a;
  resolver->query("host.example", RecordType::a, [&](Answer answer) { a = std::move(answer); });
  io.run();  // returns: nothing waits on the socket once the query timed out
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, Status::timeout);
  EXPECT_NE(a->detail.find("refused"), std::string::npos) << a->detail;
  EXPECT_EQ(resolver->sockets_open(), 1u);
}

TEST(StubResolver, rfc7766_truncated_reply_is_asked_again_over_tcp) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) { return std::vector<Bytes>{reply_to(q, {}, 0x8380)}; });
  const std::string long_text(1000, 't');
  server.listen_tcp([&](const Seen& q) {
    wire::Rr rr{wire::pointer(12), 16, 60, {}};
    for (int i = 0; i < 4; ++i) wire::append(rr.rdata, wire::txt_rdata(std::string_view(long_text).substr(0, 250)));
    return std::vector<Bytes>{reply_to(q, {rr})};
  });
  auto resolver = make(io, {server.spec()});
  const Answer a = ask(io, *resolver, "long.example", RecordType::txt);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.txt, std::vector<std::string>{std::string(1000, 't')});
  EXPECT_EQ(server.seen.size(), 1u);
  ASSERT_EQ(server.seen_tcp.size(), 1u);
  EXPECT_EQ(server.seen_tcp[0].qname, wire::name("long.example"));
}

TEST(StubResolver, datagram_filling_the_buffer_is_asked_again_over_tcp) {
  asio::io_context io;
  auto big = [](const Seen& q) {
    wire::Rr rr{wire::pointer(12), 16, 60, {}};
    for (int i = 0; i < 20; ++i) wire::append(rr.rdata, wire::txt_rdata(std::string(250, 'b')));
    return std::vector<Bytes>{reply_to(q, {rr})};  // 5 KB in one datagram, TC clear
  };
  ScriptedServer server(io, big);
  server.listen_tcp(big);
  auto resolver = make(io, {server.spec()});
  const Answer a = ask(io, *resolver, "big.example", RecordType::txt);
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.txt.at(0).size(), 5000u);
  EXPECT_EQ(server.seen_tcp.size(), 1u);
}

TEST(StubResolver, tcp_failure_goes_to_the_next_server) {
  asio::io_context io;
  ScriptedServer broken(io, [](const Seen& q) { return std::vector<Bytes>{reply_to(q, {}, 0x8380)}; });
  broken.listen_tcp([](const Seen&) { return std::vector<Bytes>{}; });  // closes
  ScriptedServer working(io, [](const Seen& q) { return std::vector<Bytes>{a_reply(q, 60, 5)}; });
  auto resolver = make(io, {broken.spec(), working.spec()});
  const Answer a = ask(io, *resolver, "host.example");
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.addresses.at(0).to_string(), "192.0.2.5");
}

TEST(StubResolver, tcp_server_that_closes_is_servfail) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) { return std::vector<Bytes>{reply_to(q, {}, 0x8380)}; });
  server.listen_tcp([](const Seen&) { return std::vector<Bytes>{}; });  // reads the query, closes
  auto resolver = make(io, {server.spec()}, 300ms);
  const Answer a = ask(io, *resolver, "long.example", RecordType::txt);
  EXPECT_EQ(a.status, Status::servfail) << a.detail;
  EXPECT_NE(a.detail.find("TCP to 127.0.0.1: "), std::string::npos) << a.detail;
  EXPECT_EQ(server.seen_tcp.size(), 1u);
}

TEST(StubResolver, rfc6891_7_formerr_is_asked_again_without_edns0) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) {
    if (q.edns) return std::vector<Bytes>{Bytes{static_cast<std::uint8_t>(q.id >> 8), static_cast<std::uint8_t>(q.id), 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}};
    return std::vector<Bytes>{a_reply(q, 60)};
  });
  auto resolver = make(io, {server.spec()});
  const Answer a = ask(io, *resolver, "old.example");
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  ASSERT_EQ(server.seen.size(), 2u);
  EXPECT_TRUE(server.seen[0].edns);
  EXPECT_FALSE(server.seen[1].edns);
}

TEST(StubResolver, cname_target_not_looked_up_by_the_server_is_asked_for) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) {
    if (q.qname == wire::name("alias.example")) {
      return std::vector<Bytes>{reply_to(q, {{wire::pointer(12), type_cname, 30, wire::name("real.example")}})};
    }
    return std::vector<Bytes>{a_reply(q, 300, 7)};
  });
  auto resolver = make(io, {server.spec()});
  const Answer a = ask(io, *resolver, "alias.example");
  ASSERT_EQ(a.status, Status::answer) << a.detail;
  EXPECT_EQ(a.addresses.at(0).to_string(), "192.0.2.7");
  ASSERT_EQ(server.seen.size(), 2u);
  EXPECT_EQ(server.seen[1].qname, wire::name("real.example"));
  EXPECT_EQ(ask(io, *resolver, "alias.example").status, Status::answer);
  EXPECT_EQ(server.seen.size(), 2u) << "the answer is cached under the name asked for";
}

TEST(StubResolver, cname_loop_across_replies_ends) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) {
    const bool a = q.qname == wire::name("a.example");
    return std::vector<Bytes>{
        reply_to(q, {{wire::pointer(12), type_cname, 30, wire::name(a ? "b.example" : "a.example")}})};
  });
  auto resolver = make(io, {server.spec()});
  const Answer a = ask(io, *resolver, "a.example");
  EXPECT_EQ(a.status, Status::servfail);
  EXPECT_NE(a.detail.find("CNAME chain longer"), std::string::npos) << a.detail;
  EXPECT_EQ(server.seen.size(), 9u);
}

TEST(StubResolver, sockets_are_reused_then_replaced) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) { return std::vector<Bytes>{a_reply(q, 0)}; });
  auto resolver = make(io, {server.spec()});
  const unsigned queries = StubResolver::queries_per_socket * 3 + 1;
  for (unsigned i = 0; i < queries; ++i) {
    ASSERT_EQ(ask(io, *resolver, "n" + std::to_string(i) + ".example").status, Status::answer) << i;
  }
  std::set<unsigned short> ports;
  for (const Seen& s : server.seen) ports.insert(s.port);
  EXPECT_EQ(ports.size(), 4u) << "a fresh source port every " << StubResolver::queries_per_socket << " queries";
  EXPECT_EQ(resolver->sockets_open(), 1u) << "replaced sockets are closed once their queries ended";
  std::set<unsigned> ids;
  for (const Seen& s : server.seen) ids.insert(s.id);
  EXPECT_GT(ids.size(), queries - 5) << "random IDs";
}

TEST(StubResolver, replaced_socket_closes_when_its_last_query_ends) {
  asio::io_context io;
  ScriptedServer server(io, [](const Seen& q) { return std::vector<Bytes>{a_reply(q, 0)}; });
  auto resolver = make(io, {server.spec()});
  const unsigned queries = StubResolver::queries_per_socket + 10;
  unsigned answered = 0;
  for (unsigned i = 0; i < queries; ++i) {
    resolver->query("c" + std::to_string(i) + ".example", RecordType::a, [&](const Answer& a) { answered += a.found(); });
  }
  EXPECT_EQ(resolver->sockets_open(), 2u) << "all in flight at once: the first socket is still waiting";
  while (answered < queries && io.run_one_for(1s) > 0) {
  }
  EXPECT_EQ(answered, queries);
  EXPECT_EQ(resolver->sockets_open(), 1u);
}

TEST(StubResolver, names_that_cannot_be_sent_are_servfail_delivered_later) {
  asio::io_context io;
  auto resolver = make(io, {"127.0.0.1:1"}, 1000ms);
  const std::pair<std::string, const char*> cases[] = {{std::string("a\0b.example", 11), "NUL"},
                                                       {std::string(64, 'x') + ".example", "63"}};
  for (const auto& [name, why] : cases) {
    std::optional<Answer> answer;
    resolver->query(name, RecordType::a, [&](Answer a) { answer = std::move(a); });
    EXPECT_FALSE(answer) << "the handler ran inside query()";
    io.restart();
    EXPECT_EQ(io.poll(), 1u);
    ASSERT_TRUE(answer) << why;
    EXPECT_EQ(answer->status, Status::servfail);
    EXPECT_NE(answer->detail.find(why), std::string::npos) << answer->detail;
    EXPECT_EQ(resolver->sockets_open(), 0u) << "nothing was sent";
  }
}

TEST(StubResolver, destruction_in_flight_posts_servfail) {
  asio::io_context io;
  ScriptedServer silent(io, [](const Seen&) { return std::vector<Bytes>{}; });
  auto resolver = make(io, {silent.spec()});
  std::optional<Answer> answer;
  resolver->query("slow.example", RecordType::a, [&](Answer a) { answer = std::move(a); });
  io.poll();
  resolver.reset();
  io.restart();
  io.poll();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, Status::servfail);
  EXPECT_EQ(answer->detail, "resolver shut down");
}

TEST(StubResolver, destruction_with_io_context_gone_drops_handlers) {
  bool ran = false;
  std::unique_ptr<StubResolver> resolver;
  {
    asio::io_context io;
    resolver = make(io, {"127.0.0.1:1"});
    resolver->query("slow.example", RecordType::a, [&](const Answer&) { ran = true; });
    resolver.reset();
  }
  EXPECT_FALSE(ran);
}

TEST(StubResolverConfig, bad_settings_are_refused_with_a_reason) {
  asio::io_context io;
  const std::vector<std::pair<ResolverConfig, const char*>> cases = {
      {{{"dns.example"}, 5000ms, ""}, "not an IP address"},
      {{{"127.0.0.1:99999"}, 5000ms, ""}, "bad port"},
      {{{"127.0.0.1"}, 0ms, ""}, "timeout"},
  };
  for (const auto& [config, why] : cases) {
    std::string error;
    EXPECT_FALSE(StubResolver::create(io.get_executor(), config, error)) << why;
    EXPECT_NE(error.find(why), std::string::npos) << "got \"" << error << "\"";
  }
}

TEST(ResolvConf, nameserver_lines_at_most_three) {
  const domainauth::testing::TempDir dir;
  const std::string path = dir.write("resolv.conf",
                                     "# comment\nsearch example.org\nnameserver 192.0.2.53\noptions edns0\n"
                                     "nameserver 2001:db8::53\nnameserver 127.0.0.1\nnameserver 192.0.2.99\n");
  std::string error;
  const auto servers = resolv_conf_servers(path, error);
  ASSERT_TRUE(servers) << error;
  ASSERT_EQ(servers->size(), 3u);
  EXPECT_EQ((*servers)[0].address.to_string(), "192.0.2.53");
  EXPECT_EQ((*servers)[1].address.to_string(), "2001:db8::53");
  EXPECT_EQ((*servers)[2].port, 53);
}

TEST(ResolvConf, no_nameserver_means_localhost_and_errors_name_the_line) {
  const domainauth::testing::TempDir dir;
  const std::string empty = dir.write("empty.conf", "search example.org\n");
  std::string error;
  const auto servers = resolv_conf_servers(empty, error);
  ASSERT_TRUE(servers) << error;
  ASSERT_EQ(servers->size(), 1u);
  EXPECT_EQ((*servers)[0].address.to_string(), "127.0.0.1");
  const std::string bad = dir.write("bad.conf", "nameserver 192.0.2.1\nnameserver fe80::1%eth0\n");
  EXPECT_FALSE(resolv_conf_servers(bad, error));
  EXPECT_NE(error.find("bad.conf:2"), std::string::npos) << error;
  EXPECT_FALSE(resolv_conf_servers(empty + ".missing", error));
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
}

}  // namespace
}  // namespace domainauth::dns
