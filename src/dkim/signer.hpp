// DKIM signing (RFC 6376 5, RFC 8463): rsa-sha256 or ed25519-sha256 by the key,
// relaxed/relaxed by default, a default list of header fields to sign,
// oversigning (a field listed once more than present, so nobody can add one
// later), t= and optional x=, several signatures over one message sharing body
// hashers. Streaming like the verifier: headers first, then the body in chunks.
// Reads untrusted input: the message being signed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/crypto.hpp"
#include "dkim/hashing.hpp"
#include "mail/canonicalize.hpp"
#include "mail/header.hpp"

namespace domainauth::dkim {

// Fields signed when present (RFC 6376 5.4.1's recommendations plus MIME and list fields).
[[nodiscard]] const std::vector<std::string>& default_signed_headers();

struct SignRequest {
  SignRequest(std::string d, std::string s, PrivateKey k)
      : domain(std::move(d)), selector(std::move(s)), key(std::move(k)) {}

  std::string domain;    // d=
  std::string selector;  // s=
  PrivateKey key;
  std::optional<std::string> identity;  // i=, written only when given
  mail::Canonicalization header_canon = mail::Canonicalization::relaxed;
  mail::Canonicalization body_canon = mail::Canonicalization::relaxed;
  std::vector<std::string> headers = default_signed_headers();  // signed when present
  std::vector<std::string> oversign = {"From"};  // listed once more than present
  bool timestamp = true;                          // t=
  std::optional<std::int64_t> expire_after;      // x= = t= + this many seconds
  std::int64_t now = 0;                           // t= value; 0 = the clock
  bool request_reports = false;                   // r=y (RFC 6651 3.1)
};

struct SignOutput {
  std::string field;  // "DKIM-Signature: ..." folded, no final CRLF; empty on error
  std::string error;
};

class Signer {
 public:
  Signer(std::vector<SignRequest> requests, std::vector<mail::HeaderField> headers);
  void body(std::string_view chunk) { hashers_.feed(chunk); }
  // One output per request, in order. Call once.
  [[nodiscard]] std::vector<SignOutput> finish();

 private:
  [[nodiscard]] SignOutput sign_one(const SignRequest& request, std::size_t hasher) const;

  std::vector<SignRequest> requests_;
  std::vector<std::size_t> hasher_of_;
  std::vector<mail::HeaderField> headers_;
  BodyHasherSet hashers_;
};

}  // namespace domainauth::dkim
