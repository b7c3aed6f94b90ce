// libFuzzer target: the tag-list parser and DKIM-Signature parser (RFC 6376 3.2,
// 3.5), plus b= removal, on any input. A signature that parses is written by
// format_signature and must read back the same (z=, which the signer never
// writes, aside).
#include <cstdint>
#include <string_view>

#include "dkim/signature.hpp"
#include "dkim/tag_list.hpp"
#include "round_trip.hpp"

using namespace domainauth;

namespace {

bool same(const dkim::Signature& a, const dkim::Signature& b) {
  return a.algorithm == b.algorithm && a.b == b.b && a.bh == b.bh && a.header_canon == b.header_canon &&
         a.body_canon == b.body_canon && a.domain == b.domain && a.headers == b.headers &&
         a.identity == b.identity && a.length == b.length && a.selector == b.selector &&
         a.timestamp == b.timestamp && a.expiration == b.expiration;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)dkim::parse_tag_list(input);
  auto parsed = dkim::parse_signature(input);
  if (parsed.ok()) {
    std::string written = dkim::format_signature(parsed.signature, true);
    auto field = mail::parse_header_field(written);
    auto again = dkim::parse_signature(field ? field->value() : std::string_view{});
    fuzz::require_round_trip(field && again.ok() && same(parsed.signature, again.signature), "DKIM-Signature", input,
                             written);
  }
  (void)dkim::without_b_value(mail::HeaderField{"DKIM-Signature", "DKIM-Signature:" + std::string(input)});
  (void)dkim::decode_quoted_printable(input);
  return 0;
}
