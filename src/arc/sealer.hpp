// ARC sealing (RFC 8617 5.1): adds the ARC set of the next instance, given the
// chain validation status found by arc::Validator: the ARC-Authentication-Results
// (4.1.1) copied from this ADMD's Authentication-Results fields, the
// ARC-Message-Signature (4.1.2, relaxed/relaxed, signed like a DKIM signature)
// and the ARC-Seal (4.1.3, 5.1.1; only the new set when cv=fail, 5.1.2),
// written by format_message_signature and format_seal (set.hpp). Streaming
// like dkim::Signer. Reads untrusted input: the message being sealed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "arc/set.hpp"
#include "dkim/crypto.hpp"
#include "dkim/hashing.hpp"
#include "mail/header.hpp"

namespace domainauth::arc {

struct SealRequest {
  SealRequest(std::string d, std::string s, dkim::PrivateKey k, std::string id)
      : domain(std::move(d)), selector(std::move(s)), key(std::move(k)), authserv_id(std::move(id)) {}

  std::string domain;       // d= of AMS and AS
  std::string selector;     // s=
  dkim::PrivateKey key;
  std::string authserv_id;  // whose Authentication-Results fields go into the AAR
  // AMS h=, signed when present; ARC fields are never signed (RFC 8617 4.1.2).
  std::vector<std::string> headers = default_sealed_headers();
  std::int64_t now = 0;  // t=; 0 = the clock

  [[nodiscard]] static std::vector<std::string> default_sealed_headers();
};

struct SealOutput {
  // The three fields ("Name: value", folded, no final CRLF), to be added above
  // the existing ones; all empty when nothing is to be added (see reason).
  std::string aar;
  std::string ams;
  std::string seal;
  std::string reason;  // why no set was added, or the error

  [[nodiscard]] bool sealed() const { return !seal.empty(); }
};

class Sealer {
 public:
  Sealer(SealRequest request, std::vector<mail::HeaderField> headers);
  void body(std::string_view chunk) { hashers_.feed(chunk); }
  // status: the chain validation status of the message as received; added:
  // fields this ADMD adds above the message's own at the same time (its
  // Authentication-Results, which the AAR copies). Call once.
  [[nodiscard]] SealOutput finish(ChainStatus status, const std::vector<mail::HeaderField>& added = {});

 private:
  [[nodiscard]] std::string aar_value(unsigned instance) const;

  SealRequest request_;
  std::vector<mail::HeaderField> headers_;
  dkim::BodyHasherSet hashers_;
  std::size_t hasher_ = 0;
};

}  // namespace domainauth::arc
