// SPF check_host() evaluations per second (RFC 7208 4-5) from memory: a
// realistic record (mx, a, ip4 and three levels of include, as large providers
// publish them) served by the in-memory resolver of the tests, for a client that
// passes deep in the include tree and one that matches nothing (every term
// evaluated). Reads no untrusted input.
#include <benchmark/benchmark.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "spf/spf.hpp"
#include "support/memory_resolver.hpp"

namespace domainauth::bench {
namespace {

net::IpAddress ip(const char* text) { return *net::IpAddress::parse(text); }

void publish(testing::MemoryResolver& zone) {
  zone.add_txt("example.com",
               "v=spf1 mx a:mail.example.com ip4:198.51.100.0/26 include:_spf.provider.example "
               "include:spf.crm.example ~all");
  zone.add_mx("example.com", 10, "mx1.example.com");
  zone.add_mx("example.com", 20, "mx2.example.com");
  zone.add_address("mx1.example.com", ip("192.0.2.10"));
  zone.add_address("mx2.example.com", ip("192.0.2.11"));
  zone.add_address("mx2.example.com", ip("2001:db8::11"));
  zone.add_address("mail.example.com", ip("192.0.2.25"));
  zone.add_txt("_spf.provider.example",
               "v=spf1 include:_netblocks.provider.example include:_netblocks2.provider.example "
               "include:_netblocks3.provider.example ~all");
  zone.add_txt("_netblocks.provider.example",
               "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 "
               "ip4:72.14.192.0/18 ip4:74.125.0.0/16 ip4:108.177.8.0/21 ip4:173.194.0.0/16 "
               "ip4:209.85.128.0/17 ip4:216.58.192.0/19 ip4:216.239.32.0/19 ~all");
  zone.add_txt("_netblocks2.provider.example",
               "v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ip6:2607:f8b0:4000::/36 "
               "ip6:2800:3f0:4000::/36 ip6:2a00:1450:4000::/36 ip6:2c0f:fb50:4000::/36 ~all");
  zone.add_txt("_netblocks3.provider.example",
               "v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ip4:172.217.128.0/19 ip4:172.217.160.0/20 "
               "ip4:172.217.192.0/19 ip4:172.253.56.0/21 ip4:172.253.112.0/20 ip4:108.177.96.0/19 "
               "ip4:35.191.0.0/16 ip4:130.211.0.0/22 ~all");
  zone.add_txt("spf.crm.example", "v=spf1 ip4:203.0.113.0/25 ip4:203.0.113.128/26 a:out.crm.example -all");
  zone.add_address("out.crm.example", ip("203.0.113.200"));
}

void evaluate(benchmark::State& state, const char* client, spf::Result expected) {
  asio::io_context io;
  testing::MemoryResolver zone(io.get_executor());
  publish(zone);
  spf::Options options;
  options.receiver = "mx.example.org";
  auto run = [&] {
    auto future = asio::co_spawn(
        io, spf::check_mail_from(zone, options, ip(client), "joe@example.com", "mail.example.net"), asio::use_future);
    io.restart();
    io.run();
    return future.get();
  };
  spf::Outcome first = run();
  if (first.result != expected) {
    state.SkipWithError(("unexpected SPF result " + std::string(spf::to_string(first.result))).c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(run());
  state.SetItemsProcessed(state.iterations());
  state.counters["dns_terms"] = first.dns_mechanisms;
}

const bool registered = [] {
  benchmark::RegisterBenchmark("spf_check_host/pass_deep_include", evaluate, "203.0.113.200", spf::Result::pass);
  benchmark::RegisterBenchmark("spf_check_host/softfail_all_terms", evaluate, "192.0.2.99", spf::Result::softfail);
  return true;
}();

}  // namespace
}  // namespace domainauth::bench
