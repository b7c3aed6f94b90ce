// What DKIM hashes (RFC 6376 3.7, 5.4.2): the header fields named by h=, picked
// bottom-up, then the signature field itself without its b= value; and the body
// hashes, one per distinct canonicalization + digest + l=, shared by every
// signature that agrees (the body is streamed through each once). Used by the
// signer, the verifier and ARC. Reads untrusted input: header fields and body.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mail/body_hash.hpp"
#include "mail/header.hpp"

namespace domainauth::dkim {

// RFC 6376 5.4.2: for each name of h= the last not yet used instance, bottom-up;
// a name with no instance left contributes nothing. Then the signature field,
// canonicalized, without its final CRLF.
[[nodiscard]] std::string header_hash_input(std::span<const mail::HeaderField> headers,
                                            const std::vector<std::string>& names, mail::Canonicalization c,
                                            const mail::HeaderField& signature_without_b);

// The same over fields already chosen, in order (ARC-Seal, RFC 8617 5.1.1).
[[nodiscard]] std::string header_hash_input(std::span<const mail::HeaderField* const> fields,
                                            mail::Canonicalization c, const mail::HeaderField& signature_without_b);

class BodyHasherSet {
 public:
  // The index of a hasher for this combination (an existing one when it matches).
  [[nodiscard]] std::size_t add(mail::Canonicalization c, mail::DigestAlgorithm algorithm,
                                std::optional<std::uint64_t> limit);
  void feed(std::string_view chunk);
  void finish();  // ends the body; digests are available afterwards

  [[nodiscard]] const std::string& digest(std::size_t index) const { return digests_.at(index); }
  [[nodiscard]] std::uint64_t canonical_length(std::size_t index) const { return hashers_.at(index)->canonical_length(); }
  [[nodiscard]] std::size_t size() const { return hashers_.size(); }

 private:
  std::vector<std::unique_ptr<mail::BodyHasher>> hashers_;
  std::vector<std::string> digests_;
};

}  // namespace domainauth::dkim
