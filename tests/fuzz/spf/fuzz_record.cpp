// libFuzzer target: the SPF record parser (RFC 7208 4.5/4.6) on arbitrary TXT
// text. A parsed record must be self-consistent; nothing may crash or hang.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "spf/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bool spf = domainauth::spf::is_spf_record(text);
  domainauth::spf::ParsedRecord parsed = domainauth::spf::parse_record(text);
  if (parsed.ok() && !spf) std::abort();  // only v=spf1 records parse
  if (!parsed.ok() && !parsed.record.mechanisms.empty()) std::abort();
  for (const auto& m : parsed.record.mechanisms) {
    if (m.text.empty() || m.cidr4 > 32 || m.cidr6 > 128) std::abort();
  }
  return 0;
}
