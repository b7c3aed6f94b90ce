// The validating dns::Resolver (used when a trust anchor is configured, see
// config.hpp): libunbound driven from the Asio event loop.
// Queries run in libunbound's one background thread; its result pipe (ub_fd)
// is watched with asio::posix::stream_descriptor::async_wait and drained with
// ub_process, so no thread blocks per query and any number are in flight.
// Each query has a timeout (asio::steady_timer; on expiry ub_cancel and
// Status::timeout). libunbound caches answers (RFC 2308 negative answers too)
// for their TTL. DNSSEC (RFC 4033-4035) is validated when a trust anchor file is
// configured. Reads untrusted DNS answers (rdata decoding: dns/rdata.hpp).
//
// Threading: create(), query() and destruction happen on the thread running the
// executor; handlers run there too (posted, never from inside query()).
// Destruction with queries in flight: each is cancelled and its handler is posted
// with Status::servfail, detail "resolver shut down"; the handler runs if the
// executor still runs afterwards and is dropped, never run, if the io_context is
// destroyed first. Destroy the resolver before its io_context.
#pragma once

#include <asio/any_io_executor.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "dns/config.hpp"
#include "dns/resolver.hpp"

struct ub_result;

namespace domainauth::dns {

// What a libunbound result means as an Answer for a query of type. A bogus
// result (RFC 4035 5.5) is Status::servfail with Dnssec::bogus and libunbound's
// reason in detail: tampered data is never handed out as an answer.
[[nodiscard]] Answer answer_from_result(const ub_result& result, RecordType type);

class UnboundResolver final : public Resolver {
 public:
  // A resolver posting its handlers to executor; nullptr, with error set, when
  // the configuration is unusable (bad server spec, unreadable trust anchor file,
  // unreadable /etc/resolv.conf, libunbound failure).
  [[nodiscard]] static std::unique_ptr<UnboundResolver> create(asio::any_io_executor executor,
                                                               const ResolverConfig& config, std::string& error);

  ~UnboundResolver() override;
  UnboundResolver(const UnboundResolver&) = delete;
  UnboundResolver& operator=(const UnboundResolver&) = delete;

  void query(std::string_view name, RecordType type, Handler handler) override;

  // Queries started whose handler has not been posted yet.
  [[nodiscard]] std::size_t in_flight() const;

 private:
  struct State;
  explicit UnboundResolver(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace domainauth::dns
