// ARC chain validation (RFC 8617 5.2) over dns::Resolver, in the two stages of
// dkim::Verifier: made when the header block is complete, the body streamed in
// with body(), finish() looks up the keys and returns the chain validation
// status, the oldest-pass instance and the reason. All errors, DNS failures
// included, are permanent: they give "fail" (RFC 8617 5.2.1). Reads untrusted
// input: the message and the DNS key records.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "arc/set.hpp"
#include "dns/resolver.hpp"
#include "mail/header.hpp"

namespace domainauth::arc {

struct ValidateOptions {
  unsigned min_rsa_bits = 1024;  // RFC 8301 3.2, as for DKIM
};

struct ChainResult {
  ChainStatus status = ChainStatus::none;
  std::string reason;        // why fail (RFC 8601 reason text); empty otherwise
  unsigned instances = 0;    // N
  unsigned oldest_pass = 0;  // RFC 8617 5.2 step 5 (0: every AMS verified); pass only
  std::string seal_domain;   // d= of the newest ARC-Seal (header.d for arc=)
};

class Validator {
 public:
  // Collects the ARC sets of headers and sets up their body hashes.
  Validator(dns::Resolver& resolver, ValidateOptions options, std::vector<mail::HeaderField> headers);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  void body(std::string_view chunk);
  // Ends the body, looks up the keys and validates the chain. Call once.
  [[nodiscard]] asio::awaitable<ChainResult> finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Validates the chain of a message already split into fields and body.
[[nodiscard]] asio::awaitable<ChainResult> validate_message(dns::Resolver& resolver, ValidateOptions options,
                                                            std::vector<mail::HeaderField> headers,
                                                            std::string_view body);

}  // namespace domainauth::arc
