// The milter front end of the engine: one milter::MessageHandler per SMTP
// connection running the pipeline of design.md with its overlap --
//   connect   client address; internal host?             (sign vs verify)
//   envfrom   SASL login ({auth_authen}); SPF check_host() of MAIL FROM starts,
//             detached, for clients that are not originators
//   header    fields kept within milter.max_headers / max_header_bytes
//   eoh       signing decided (From in the signing tables, client internal or
//             authenticated: OpenDKIM Mode sv) and a dkim::Signer set up; else
//             a dkim::Verifier starts every key lookup (an arc::Validator when
//             the message has ARC fields, an arc::Sealer with arc.seal); the DMARC
//             record of the From domain is asked for (the answer waits in the
//             resolver cache)
//   body      streamed into whatever needs it (skipped when nothing does)
//   eom       results joined under one DNS deadline (dns.timeout), DMARC
//             evaluated and, with dmarc.enforce, its disposition applied
//             (decide_dmarc: 550 5.7.1, quarantine or a header mark), the failure
//             reports fo= asks for handed to the FailureReporter (never waited
//             for), forged Authentication-Results
//             with our authserv-id deleted, Authentication-Results (and
//             Received-SPF, and the ARC set over them) or the DKIM-Signature
//             fields inserted on top.
// Failure policy: an exception anywhere gives milter.on_internal_error, a
// temperror milter.on_dns_error (tempfail by default); mail is never accepted
// and dropped. One key=value log line per message. Reads untrusted input: the
// SMTP envelope and message from the MTA.
#pragma once

#include <asio/any_io_executor.hpp>
#include <memory>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "milter/server.hpp"
#include "store/history.hpp"

namespace domainauth::engine {
class FailureReporter;
}

namespace domainauth::engine {

// What every connection shares; replaced as a whole on reload (connections in
// progress keep the one they started with).
struct MilterContext {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<dns::Resolver> resolver;  // used on the event loop's thread only
  // Where RSA / Ed25519 signing runs (a small thread pool), so that a signature
  // never holds up the event loop and the other connections on it.
  asio::any_io_executor crypto;
  // Where a row per DMARC-evaluated message goes (never blocks); null: no history.
  std::shared_ptr<store::History> history;
  // Where DMARC failure reports go (failure_reports.enabled); null: none sent.
  std::shared_ptr<FailureReporter> failure_reporter;
};

// The actions, protocol steps and macros the handler needs from the MTA.
[[nodiscard]] milter::Capabilities milter_capabilities();

[[nodiscard]] std::unique_ptr<milter::MessageHandler> make_milter_handler(std::shared_ptr<const MilterContext> context,
                                                                        const milter::SessionContext& session);

}  // namespace domainauth::engine
