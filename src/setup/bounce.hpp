// `domainauth explain`: reads a bounce (a DSN, RFC 3464 multipart/report with a
// message/delivery-status part, or a plain-text bounce), finds the remote SMTP
// reply (RFC 5321 4.2 reply code, RFC 3463 enhanced status code) and matches it
// against the table of known refusals (bounce_patterns.cpp) to say which
// requirement it points to and what to check. Pure: reads untrusted input, the
// bounce message, with bounded sizes; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::setup {

// Limits on the untrusted bounce.
inline constexpr std::size_t kMaxBounceBytes = 4 * 1024 * 1024;  // more is cut off
inline constexpr std::size_t kMaxReplyLines = 20;                // of one multi-line reply

// One known refusal: matched when the reply has the status code (if given) and
// contains the text (if given, case-insensitive).
struct BouncePattern {
  std::string_view id;           // stable: "gmail.5.7.26.dmarc"
  std::string_view status;       // enhanced status code, "" = any
  std::string_view text;         // substring of the reply, "" = any
  std::string_view receiver;     // "Gmail", "Yahoo", "Microsoft", "any"
  std::string_view requirement;  // which requirement the refusal points to
  std::string_view meaning;      // what the receiver says, in plain words
  std::string_view to_check;     // what to check, in order
  bool authentication = false;   // a check of the sender's domain helps
};

// The table, most specific first (bounce_patterns.cpp).
[[nodiscard]] const std::vector<BouncePattern>& bounce_patterns();

struct Bounce {
  std::string reply;          // the remote server's reply, lines joined with " "
  std::string status;         // "5.7.26" (from the reply or the DSN Status field)
  std::string remote_mta;     // DSN Remote-MTA
  std::string recipient;      // DSN Final-Recipient / Original-Recipient
  std::string sender;         // the original message's From (else the bounce's To)
  std::string sender_domain;  // of sender
  std::string sending_ip;     // an address named in the reply, e.g. "[192.0.2.1]"
  const BouncePattern* pattern = nullptr;  // the first pattern that matches
};

// Nothing when no SMTP reply or DSN status can be found.
[[nodiscard]] std::optional<Bounce> read_bounce(std::string_view message);

// The first pattern matching this status and reply text.
[[nodiscard]] const BouncePattern* match_pattern(std::string_view status, std::string_view reply);

}  // namespace domainauth::setup
