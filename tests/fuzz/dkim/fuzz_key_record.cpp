// libFuzzer target: DKIM key records (RFC 6376 3.6.1) and the public keys they
// carry; a record that parses is written by format_key_record and must read back
// the same.
#include <cstdint>
#include <string_view>

#include "dkim/key_record.hpp"
#include "round_trip.hpp"

using namespace domainauth::dkim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_key_record(input);
  if (!parsed.ok()) return 0;
  const KeyRecord& r = parsed.record;
  std::string written = format_key_record(r);
  auto again = parse_key_record(written);
  const KeyRecord& a = again.record;
  domainauth::fuzz::require_round_trip(again.ok() && a.type == r.type && a.public_key == r.public_key &&
                                           a.revoked == r.revoked && a.testing == r.testing &&
                                           a.strict == r.strict && a.hashes == r.hashes,
                                       "key record", input, written);
  if (!r.revoked) {
    std::string error;
    auto key = PublicKey::from_record(r.type, r.public_key, &error);
    if (key) (void)key->verify(Algorithm::rsa_sha256, "data", "sig");
  }
  return 0;
}
