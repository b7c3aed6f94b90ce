// libFuzzer target: the tag-list parser and DKIM-Signature parser (RFC 6376 3.2,
// 3.5), plus b= removal, on any input.
#include <cstdint>
#include <string_view>

#include "dkim/signature.hpp"
#include "dkim/tag_list.hpp"

using namespace domainauth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)dkim::parse_tag_list(input);
  auto parsed = dkim::parse_signature(input);
  if (parsed.ok()) (void)dkim::format_signature(parsed.signature, true);
  (void)dkim::without_b_value(mail::HeaderField{"DKIM-Signature", "DKIM-Signature:" + std::string(input)});
  (void)dkim::decode_quoted_printable(input);
  return 0;
}
