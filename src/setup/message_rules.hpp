// `domainauth check --message FILE`: the large receivers' rules a sample
// message can be judged by (Gmail and Yahoo sender requirements): RFC 8058
// one-click unsubscribe (List-Unsubscribe with an HTTPS URI, RFC 2369 syntax,
// and List-Unsubscribe-Post: List-Unsubscribe=One-Click, both in the h= of a
// passing DKIM signature), From aligned with a passing DKIM d= and with the SPF
// domain (DMARC's verdict on them), one From, a Message-ID and a Date (RFC 5322
// 3.6). Pure: the verification results come from the engine (cli/ runs
// `verify`'s engine path). Reads untrusted input: the message's header fields.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/verifier.hpp"
#include "dmarc/dmarc.hpp"
#include "mail/header.hpp"
#include "setup/report.hpp"

namespace domainauth::setup {

// Bounds of the List-Unsubscribe reader: longer values or more URIs are refused.
inline constexpr std::size_t kMaxListUnsubscribeBytes = 8192;
inline constexpr std::size_t kMaxListUnsubscribeUris = 16;
inline constexpr int kMaxCommentDepth = 8;

// RFC 2369 3.2: a comma-separated list of <URI>, comments and white space
// around them (and white space inside the brackets, which is removed).
struct ListUnsubscribe {
  std::vector<std::string> uris;
  std::string error;  // empty when the value was read
  [[nodiscard]] bool has_scheme(std::string_view scheme) const;
};
[[nodiscard]] ListUnsubscribe parse_list_unsubscribe(std::string_view value);

struct MessageFacts {
  std::vector<mail::HeaderField> headers;
  std::vector<dkim::SignatureResult> dkim;  // one per DKIM-Signature field, as the engine verified them
  bool spf_pass = false;
  std::string spf_domain;                   // the domain SPF checked
  std::optional<dmarc::Outcome> dmarc;      // alignment is judged when it found a record
  bool bulk = false;                        // the sender sends bulk mail: one-click unsubscribe is required
};

// Adds the "message.*" findings to report.
void check_message_rules(const MessageFacts& facts, Report& report);

}  // namespace domainauth::setup
