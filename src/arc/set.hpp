// ARC sets (RFC 8617 4.1, 4.2): the ARC-Seal parser and the writers of the
// ARC-Seal and ARC-Message-Signature, the instance tag of each ARC header
// field, and the collection of a message's fields into sets 1..N
// with the structural checks of RFC 8617 5.2 steps 1 and 3 (A, B). The
// ARC-Message-Signature is parsed by dkim::parse_signature (its tags are the
// DKIM-Signature tags). Pure parser; reads untrusted input: header fields.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/crypto.hpp"
#include "dkim/signature.hpp"
#include "mail/header.hpp"

namespace domainauth::arc {

inline constexpr std::string_view kSealField = "ARC-Seal";
inline constexpr std::string_view kMessageSignatureField = "ARC-Message-Signature";
inline constexpr std::string_view kAuthResultsField = "ARC-Authentication-Results";

// RFC 8617 4.2.1: instances run from 1 to 50; a longer chain fails.
inline constexpr unsigned kMaxInstances = 50;
inline constexpr std::size_t kMaxInstanceDigits = 2;

// RFC 8617 4.4 chain validation status (the AS cv= tag and the arc= result).
enum class ChainStatus { none, pass, fail };

[[nodiscard]] std::string_view to_string(ChainStatus status);
// Exact (case-sensitive) tag value "none" / "pass" / "fail".
[[nodiscard]] std::optional<ChainStatus> parse_chain_status(std::string_view text);

struct Seal {
  dkim::Algorithm algorithm = dkim::Algorithm::rsa_sha256;
  std::string b;  // decoded
  ChainStatus cv = ChainStatus::none;
  std::string domain;    // d=
  std::string selector;  // s=
  unsigned instance = 0; // i=
  std::optional<std::uint64_t> timestamp;  // t=
};

struct ParsedSeal {
  Seal seal;
  std::string error;  // empty when valid
  [[nodiscard]] bool ok() const { return error.empty(); }
};

// RFC 8617 4.1.3: tags a, b, cv, d, i, s required, t optional, h= forbidden.
[[nodiscard]] ParsedSeal parse_seal(std::string_view value);

// The fields as the sealer writes them ("Name: value" folded, no final CRLF),
// i= first as RFC 8617's examples (dkimpy 1.1.4 finds a set by the bytes
// " i=N;"), then AS a b cv d s t, AMS a b bh c d h (unfolded) l s t x; an empty
// b gives "b=;", the form that is signed. parse_seal / dkim::parse_signature
// read back what was written.
[[nodiscard]] std::string format_seal(const Seal& seal);
[[nodiscard]] std::string format_message_signature(const dkim::Signature& signature, unsigned instance);

// The instance of an ARC field: the i= tag of an AS or AMS, the leading
// "i=N;" of an AAR (RFC 8617 4.1.1); nothing when absent or not 1..50.
[[nodiscard]] std::optional<unsigned> instance_of(const mail::HeaderField& field);

struct ArcSet {
  unsigned instance = 0;
  const mail::HeaderField* aar = nullptr;
  const mail::HeaderField* ams = nullptr;
  const mail::HeaderField* seal = nullptr;
};

struct Chain {
  std::vector<ArcSet> sets;  // sets[k] has instance k + 1
  std::string error;         // empty when the structure is valid
  unsigned highest = 0;      // N, the greatest instance found (also when broken)
  const mail::HeaderField* highest_seal = nullptr;  // an AS of instance N, if any

  [[nodiscard]] bool empty() const { return highest == 0 && error.empty(); }
};

// RFC 8617 5.2 step 1 and step 3 A/B: the fields point into headers, which must
// outlive the chain.
[[nodiscard]] Chain collect_sets(std::span<const mail::HeaderField> headers);

}  // namespace domainauth::arc
