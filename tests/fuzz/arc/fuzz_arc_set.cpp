// libFuzzer target: the ARC set parser (RFC 8617 4.1, 4.2, 5.2 steps 1 and 3):
// the input is a header block; its ARC fields are collected into sets and each
// ARC-Seal and ARC-Message-Signature parsed.
#include <cstdint>
#include <string_view>

#include "arc/set.hpp"
#include "dkim/signature.hpp"

using namespace domainauth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  mail::MessageSplitter splitter;
  (void)splitter.feed(input);
  splitter.finish();
  const auto& headers = splitter.headers();
  arc::Chain chain = arc::collect_sets(headers);
  for (const auto& set : chain.sets) {
    (void)arc::parse_seal(set.seal->value());
    (void)dkim::parse_signature(set.ams->value(), dkim::SignatureKind::arc_message_signature);
  }
  for (const auto& field : headers) (void)arc::instance_of(field);
  return 0;
}
