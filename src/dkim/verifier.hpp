// DKIM verification (RFC 6376 6, RFC 8301, RFC 8463) in two stages, so that a
// milter overlaps DNS with the body: the Verifier is made when the header block
// is complete and starts every key lookup at once; the body is streamed in with
// body(); finish() waits for the keys and checks each signature. Reads
// untrusted input: the message and the DNS key records.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/hashing.hpp"
#include "dkim/report_record.hpp"
#include "dns/resolver.hpp"
#include "mail/header.hpp"

namespace domainauth::dkim {

// RFC 8601 2.7.1 result names ("none" is the message without signatures).
enum class Result { pass, fail, neutral, policy, temperror, permerror };

[[nodiscard]] std::string_view to_string(Result result);

inline constexpr std::size_t kDefaultMaxSignatures = 10;

struct VerifyOptions {
  bool allow_rsa_sha1 = false;       // RFC 8301 3.1: off by default
  unsigned min_rsa_bits = 1024;      // RFC 8301 3.2
  std::size_t max_signatures = kDefaultMaxSignatures;  // later ones are reported as policy, unchecked
  std::int64_t now = 0;              // Unix time for x=; 0 = the clock
};

struct SignatureResult {
  Result result = Result::permerror;
  std::string reason;       // RFC 8601 reason text
  std::string domain;       // d=
  std::string selector;     // s=
  std::string identity;     // i= (or "@" + d=)
  std::string algorithm;    // a= as written
  std::string b;            // b= as written (header.b takes a prefix of it)
  bool testing = false;     // key record t=y
  bool checked = true;      // false: beyond VerifyOptions::max_signatures (result policy)
  dns::Dnssec key_dnssec = dns::Dnssec::insecure;
  bool reports_requested = false;  // r=y (RFC 6651 3.1)
  Failure failure = Failure::none; // why a fail / permerror failed (RFC 6651 rr=); none otherwise
};

class Verifier {
 public:
  // Parses every DKIM-Signature of headers and starts the key lookups.
  Verifier(dns::Resolver& resolver, VerifyOptions options, std::vector<mail::HeaderField> headers);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  void body(std::string_view chunk);
  // Ends the body, waits for the outstanding key lookups and returns one result
  // per DKIM-Signature field, top-down. Call once.
  [[nodiscard]] asio::awaitable<std::vector<SignatureResult>> finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Verifies a message already split (mail::MessageSplitter) into fields and body.
[[nodiscard]] asio::awaitable<std::vector<SignatureResult>> verify_message(dns::Resolver& resolver,
                                                                           VerifyOptions options,
                                                                           std::vector<mail::HeaderField> headers,
                                                                           std::string_view body);

}  // namespace domainauth::dkim
