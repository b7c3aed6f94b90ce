// DKIM public key records (RFC 6376 3.6.1, RFC 8463 4): the TXT record at
// <selector>._domainkey.<domain>. Pure parser; reads untrusted input: DNS TXT data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/crypto.hpp"
#include "dkim/record_lookup.hpp"
#include "dns/resolver.hpp"

namespace domainauth::dkim {

struct KeyRecord {
  KeyType type = KeyType::rsa;       // k=, default rsa
  std::string public_key;            // p=, decoded; empty when revoked
  bool revoked = false;              // p= present but empty
  bool testing = false;              // t=y
  bool strict = false;               // t=s: i= domain must equal d=
  std::vector<std::string> hashes;   // h=, empty = any
  std::string key_type_text;         // k= as written
};

struct ParsedKeyRecord {
  KeyRecord record;
  std::string error;  // empty when usable (a revoked key parses fine)

  [[nodiscard]] bool ok() const { return error.empty(); }
};

// Checks: tag-list syntax; v=DKIM1 when present (and first); p= present and
// base64; k= a known type; s= covering "email" (or *).
[[nodiscard]] ParsedKeyRecord parse_key_record(std::string_view text);

// The record text: "v=DKIM1; k=<type>;" then h= and t= when set, and p= (base64)
// last; parse_key_record reads back the same record.
[[nodiscard]] std::string format_key_record(const KeyRecord& record);

// The key's h= allows this signature's hash ("sha1" / "sha256").
[[nodiscard]] bool allows_hash(const KeyRecord& record, Algorithm algorithm);

// RFC 6376 3.6.1, 3.3: why this key cannot check a signature of this algorithm
// (revoked, other key type, h= excludes the hash); empty when it can.
[[nodiscard]] std::string unusable_for(const KeyRecord& record, Algorithm algorithm);

// RFC 6376 6.1.2: the key record from a DNS answer (of several TXT records the
// first that parses), or why there is none; transient marks a temporary failure.
using KeyLookup = RecordLookup<KeyRecord>;
[[nodiscard]] KeyLookup key_from_answer(const dns::Answer& answer);

}  // namespace domainauth::dkim
