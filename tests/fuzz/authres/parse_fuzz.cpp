// libFuzzer target: the Authentication-Results parser on arbitrary bytes, and the
// writer's round trip: whatever parses, formats and parses again to the same results.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "authres/authres.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)domainauth::authres::authserv_id(text);
  auto first = domainauth::authres::parse(text);
  if (!first.field) return 0;
  auto again = domainauth::authres::parse(domainauth::authres::format(*first.field));
  if (!again.field || again.field->results.size() != first.field->results.size()) std::abort();
  return 0;
}
