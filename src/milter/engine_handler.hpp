// The milter front end of the engine: one MessageHandler per SMTP connection
// that feeds engine::MessageCheck and turns its Conclusion into milter replies
// and modifications. All wire habits live here: Postfix's LF folds (turned into
// CRLF for the engine and back), the leading space of SMFIP_HDR_LEADSPC, the
// negotiated steps. Failure policy: an exception anywhere gives
// milter.on_internal_error (tempfail by default; mail is never accepted and
// dropped). One key=value log line per message. Reads untrusted input: the SMTP
// envelope and message from the MTA.
#pragma once

#include <memory>

#include "engine/context.hpp"
#include "engine/pipeline.hpp"
#include "milter/server.hpp"

namespace domainauth::milter {

// The actions, protocol steps and macros the handler needs from the MTA.
[[nodiscard]] Capabilities engine_capabilities();

// The milter reply for an SMTP reply of the engine.
[[nodiscard]] Reply to_reply(const engine::SmtpReply& reply);

[[nodiscard]] std::unique_ptr<MessageHandler> make_engine_handler(std::shared_ptr<const engine::Context> context,
                                                                const SessionContext& session);

}  // namespace domainauth::milter
