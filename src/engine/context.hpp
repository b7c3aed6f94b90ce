// What every message check shares: the configuration, the resolver, where
// signatures are made, the DMARC history and the failure reporter. The daemon
// replaces it as a whole on reload (checks in progress keep the one they
// started with); `domainauth verify` makes one with no history and no reporter.
#pragma once

#include <asio/any_io_executor.hpp>
#include <memory>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "store/history.hpp"

namespace domainauth::engine {

class FailureReporter;

struct Context {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<dns::Resolver> resolver;  // used on the event loop's thread only
  // Where RSA / Ed25519 signing and ARC sealing run (a small thread pool), so
  // that a signature never holds up the event loop; empty: on the caller's.
  asio::any_io_executor crypto;
  // Where a row per DMARC-evaluated message goes (never blocks); null: no history.
  std::shared_ptr<store::History> history;
  // Where DMARC failure reports go (failure_reports.enabled); null: none sent.
  std::shared_ptr<FailureReporter> failure_reporter;
};

}  // namespace domainauth::engine
