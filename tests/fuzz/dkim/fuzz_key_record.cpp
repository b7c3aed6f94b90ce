// libFuzzer target: DKIM key records (RFC 6376 3.6.1) and the public keys they carry.
#include <cstdint>
#include <string_view>

#include "dkim/key_record.hpp"

using namespace domainauth::dkim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_key_record(input);
  if (parsed.ok() && !parsed.record.revoked) {
    std::string error;
    auto key = PublicKey::from_record(parsed.record.type, parsed.record.public_key, &error);
    if (key) (void)key->verify(Algorithm::rsa_sha256, "data", "sig");
  }
  return 0;
}
