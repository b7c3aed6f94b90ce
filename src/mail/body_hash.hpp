// The DKIM body hash (RFC 6376 3.7, 3.5 "bh=" and "l="): canonicalizes a body
// streamed in chunks and hashes at most l= canonical octets of it, counting how
// many there were. Reads untrusted input: the message body.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mail/canonicalize.hpp"

namespace domainauth::mail {

enum class DigestAlgorithm { sha1, sha256 };

// One-shot digest of bytes (raw digest octets).
[[nodiscard]] std::string digest(DigestAlgorithm algorithm, std::string_view bytes);

class BodyHasher final : private ByteSink {
 public:
  // limit: the l= value, or nothing to hash the whole canonical body.
  BodyHasher(Canonicalization c, DigestAlgorithm algorithm, std::optional<std::uint64_t> limit);
  ~BodyHasher() override;
  BodyHasher(const BodyHasher&) = delete;
  BodyHasher& operator=(const BodyHasher&) = delete;

  void feed(std::string_view chunk) { canonicalizer_.feed(chunk); }
  // Ends the body; returns the raw digest (call once).
  [[nodiscard]] std::string finish();

  // Canonical body octets seen so far (all of them, also those past l=).
  [[nodiscard]] std::uint64_t canonical_length() const { return length_; }
  [[nodiscard]] Canonicalization canonicalization() const { return canon_; }
  [[nodiscard]] DigestAlgorithm algorithm() const { return algorithm_; }
  [[nodiscard]] std::optional<std::uint64_t> limit() const { return limit_; }

 private:
  void write(std::string_view bytes) override;

  struct Context;
  Canonicalization canon_;
  DigestAlgorithm algorithm_;
  std::optional<std::uint64_t> limit_;
  std::uint64_t length_ = 0;
  std::unique_ptr<Context> context_;
  BodyCanonicalizer canonicalizer_;
};

}  // namespace domainauth::mail
