// libFuzzer target: the bounce reader of `domainauth explain` (DSN per RFC 3464
// and plain-text bounces) on arbitrary message text, as users paste it. What it
// finds is a substring-derived value; nothing may crash or hang.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "setup/bounce.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto bounce = domainauth::setup::read_bounce(text);
  if (!bounce) return 0;
  if (bounce->reply.empty() && bounce->status.empty()) std::abort();  // found nothing yet answered
  if (bounce->pattern != domainauth::setup::match_pattern(bounce->status, bounce->reply)) std::abort();
  return 0;
}
