// DANE for SMTP (RFC 7672, with RFC 7671 and RFC 6698): whether a TLSA record
// is usable by SMTP senders, and whether it matches the certificate chain an
// MX presented. Pure (OpenSSL for hashing, certificate decoding and chain
// verification); reads
// untrusted input: TLSA rdata and certificates sent by a server.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/resolver.hpp"

namespace domainauth::setup {

enum class TlsaUse : std::uint8_t {
  recommended,  // DANE-EE(3) or DANE-TA(2) with selector SPKI(1) and SHA-256(1): RFC 7671 10.1.2 / 10.1.3
  usable,       // DANE-EE / DANE-TA with other sane parameters (full certificate, SHA-512, exact match)
  ignored,      // PKIX-TA(0) / PKIX-EE(1): SMTP senders treat them as unusable (RFC 7672 3.1.3)
  broken,       // unknown usage, selector or matching type, or data of the wrong length for its hash
};

struct TlsaJudgement {
  TlsaUse use = TlsaUse::broken;
  std::string why;  // one sentence for the broken / ignored / usable cases
};

[[nodiscard]] TlsaJudgement judge_tlsa(const dns::TlsaRecord& record);

// "3 1 1 ab12..." (data in hex, at most 16 octets shown).
[[nodiscard]] std::string describe_tlsa(const dns::TlsaRecord& record);

// Whether a TLSA record matches the certificate chain an MX presented, as an
// SMTP sender applies it (RFC 7672 3.1): a DANE-EE record matches the server's
// own certificate (chain[0]), with no name or date checks (3.1.1). A DANE-TA
// record matches a CA certificate of the chain above the leaf, and the chain
// from the leaf up to it must verify with it as the trust anchor (signatures,
// validity dates, basic constraints) and the leaf must name host (the TLSA base
// domain and MX host; RFC 7672 3.2.2, wildcards per RFC 6125 6.4.3). Other
// usages and unreadable certificates never match. why says why not.
struct TlsaMatch {
  bool matches = false;
  std::string why;  // when it does not match
};
[[nodiscard]] TlsaMatch match_tlsa(const dns::TlsaRecord& record, const std::vector<std::vector<std::uint8_t>>& chain,
                                   const std::string& host);

}  // namespace domainauth::setup
