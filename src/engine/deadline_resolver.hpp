// A dns::Resolver for one message that puts an upper bound on the whole wait at
// end of message: every query goes to the shared resolver (whose per-query
// timeout still holds), and once expire_after(limit) has run its course every
// query still unanswered -- and any started later -- gets Status::timeout. So
// SPF's chain of lookups, DKIM's key lookups and the DMARC tree walk together
// keep the MTA waiting at most `limit` after the message ended. Must be used on
// one thread (the event loop of the inner resolver); answers are posted, never
// delivered from inside query().
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <memory>

#include "dns/resolver.hpp"

namespace domainauth::engine {

class DeadlineResolver final : public dns::Resolver {
 public:
  // inner must outlive every query made through this resolver's callbacks;
  // the caller keeps it alive (shared_ptr) for as long as queries can be answered.
  DeadlineResolver(asio::any_io_executor executor, std::shared_ptr<dns::Resolver> inner);
  ~DeadlineResolver() override;
  DeadlineResolver(const DeadlineResolver&) = delete;
  DeadlineResolver& operator=(const DeadlineResolver&) = delete;

  void query(std::string_view name, dns::RecordType type, Handler handler) override;

  // Starts the clock: after limit, pending and new queries answer timeout.
  void expire_after(std::chrono::milliseconds limit);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace domainauth::engine
