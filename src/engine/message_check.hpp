// The check of one message, as design.md's "Data flow in the milter" runs it,
// with no knowledge of how the message arrives (the milter front end and
// `domainauth verify` both feed it):
//   constructor  SPF check_host() of MAIL FROM starts, detached, for clients
//                that are not originators
//   header       fields kept within milter.max_headers / max_header_bytes
//   end_of_headers  signing decided (From in the signing tables, client
//                internal or authenticated: OpenDKIM Mode sv) and a dkim::Signer
//                set up; else a dkim::Verifier starts every key lookup (an
//                arc::Validator when the message has ARC fields, an arc::Sealer
//                with arc.seal); the DMARC record of the From domain is asked for
//   body         streamed into whatever needs it
//   conclude     results joined under one DNS deadline (dns.timeout), DMARC
//                evaluated and decided (decide_dmarc), the history row and the
//                failure reports handed off (never waited for), and one
//                Conclusion returned: the header fields to delete and insert and
//                the verdict.
// Reads untrusted input: the envelope, the header fields and the body.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/context.hpp"
#include "engine/dmarc_decision.hpp"
#include "engine/pipeline.hpp"

namespace domainauth::engine {

enum class Verdict : std::uint8_t {
  accept,      // deliver, with the header changes
  reject,      // Conclusion::reply (5xx)
  tempfail,    // Conclusion::reply (4xx)
  quarantine,  // deliver to the MTA's quarantine (Postfix: hold), with the header changes
};

// What to do with one message.
struct Conclusion {
  Verdict verdict = Verdict::accept;
  SmtpReply reply;              // reject, tempfail
  std::string quarantine_reason;
  // Authentication-Results fields to delete: 1-based indexes among the
  // message's fields of that name, highest first.
  std::vector<std::uint32_t> removed_authres;
  // Fields to put on top of the message, top one first ("Name: value", CRLF folds).
  std::vector<mail::HeaderField> added;
  Results results;                        // role verify only
  std::optional<DmarcDecision> decision;  // set when DMARC was decided
  std::string outcome;                    // key=value words for the log line
};

// The SMTP client as the MTA reports it, and what it told us.
struct Envelope {
  Client client;
  std::string helo;
  std::string mail_from;  // without <>; "" for the null sender
  std::string queue_id;   // the MTA's, for failure reports; may be empty
};

class MessageCheck {
 public:
  // executor: the event loop the check runs on; origin: who the client is
  // (classify_client), which decides between signing and verifying.
  MessageCheck(std::shared_ptr<const Context> context, const asio::any_io_executor& executor, Envelope envelope,
               Origin origin);
  ~MessageCheck();
  MessageCheck(const MessageCheck&) = delete;
  MessageCheck& operator=(const MessageCheck&) = delete;

  // The MTA's queue id, once it is known (failure reports name it).
  void set_queue_id(std::string id);

  void header(mail::HeaderField field);
  void end_of_headers();
  // False once nothing needs the body: it may be skipped.
  [[nodiscard]] bool wants_body() const;
  void body(std::string_view chunk);
  // True once end_of_headers() chose to sign (the message's direction).
  [[nodiscard]] bool signing() const;
  // Call once, after end_of_headers() and the body.
  [[nodiscard]] asio::awaitable<Conclusion> conclude();

 private:
  struct State;
  std::shared_ptr<const Context> context_;
  std::unique_ptr<State> state_;
};

// The same check on a message that is already whole (`domainauth verify`),
// always in the verifying role. context and its members must outlive the
// awaitable.
[[nodiscard]] asio::awaitable<Conclusion> check_stored_message(std::shared_ptr<const Context> context,
                                                               Envelope envelope,
                                                               std::vector<mail::HeaderField> headers,
                                                               std::string_view body);

}  // namespace domainauth::engine
