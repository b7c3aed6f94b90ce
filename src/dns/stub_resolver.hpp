// The dns::Resolver of the daemon and of the CLI when no DNSSEC validation is
// asked for: a caching stub resolver on the Asio event loop. Every query goes to
// the configured servers (or resolv.conf's) with RD set, as RFC 1123 6.1.3.1's
// stub; nothing runs in another thread and no socket is opened per query.
//
// - UDP: one connected socket per server, bound to a random port, takes up to
//   queries_per_socket queries, or is 10 seconds old, and is then replaced (the
//   old one closes when its last query ends), so the source port keeps changing
//   (RFC 5452 9.2) without a socket per query. IDs are random (arc4random_buf)
//   and unique per socket; a reply whose ID or question is not the query's is
//   ignored (RFC 5452 9.1).
// - Retries: an unanswered query is sent again, to the next server in turn,
//   after a quarter of the timeout (at least 50 ms), and a reply to any of its
//   last sends is taken; after the timeout it is Status::timeout. SERVFAIL,
//   REFUSED, an unusable reply or a failed TCP exchange ends only that send:
//   the next server not asked yet is asked at once, and the failure is the
//   answer when no send is left. A truncated reply, or a datagram filling the
//   4 KB buffer, is asked again over TCP (RFC 7766); a FORMERR to an EDNS0
//   query is asked again without EDNS0 (RFC 6891 7). A CNAME whose target the
//   server did not look up is followed (up to 8 times).
// - Cache: answers, NXDOMAIN and NODATA (RFC 2308, with the SOA's TTL) are kept
//   for their TTL (at most a day; negative ones at most an hour), within
//   cache_entries and cache_bytes; failures are not kept. Queries for a name and
//   type already in flight wait for the same reply.
// - DNSSEC: nothing is validated, every answer is Dnssec::insecure.
// - resolv.conf: only its nameserver lines are read (config.hpp); its timeout,
//   attempts and rotate options are not: dns.timeout and the rules above apply.
//
// Threading and destruction: as UnboundResolver (unbound_resolver.hpp):
// everything on the executor's thread, handlers posted, never run inside
// query(); destruction posts Status::servfail "resolver shut down" to queries in
// flight. Destroy the resolver before its io_context.
#pragma once

#include <asio/any_io_executor.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "dns/config.hpp"
#include "dns/resolver.hpp"

namespace domainauth::dns {

class StubResolver final : public Resolver {
 public:
  static constexpr unsigned queries_per_socket = 64;
  static constexpr std::size_t cache_entries = 50000;
  static constexpr std::size_t cache_bytes = 16 * 1024 * 1024;  // approximate: the answers' data

  // A resolver posting its handlers to executor; nullptr, with error set, when
  // the configuration is unusable (bad server spec, unreadable /etc/resolv.conf,
  // a timeout that is not positive).
  [[nodiscard]] static std::unique_ptr<StubResolver> create(asio::any_io_executor executor,
                                                            const ResolverConfig& config, std::string& error);

  ~StubResolver() override;
  StubResolver(const StubResolver&) = delete;
  StubResolver& operator=(const StubResolver&) = delete;

  void query(std::string_view name, RecordType type, Handler handler) override;

  // Distinct name/type lookups waiting for a reply.
  [[nodiscard]] std::size_t in_flight() const;
  // UDP sockets open (current and retiring ones).
  [[nodiscard]] std::size_t sockets_open() const;

 private:
  struct State;
  explicit StubResolver(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace domainauth::dns
