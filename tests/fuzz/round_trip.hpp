// For the fuzz targets whose parser has a writer: what was parsed, written and
// parsed again must be the same; a difference stops the fuzzer with both texts.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace domainauth::fuzz {

inline void require_round_trip(bool same, std::string_view what, std::string_view input, std::string_view written) {
  if (same) return;
  std::fprintf(stderr, "round trip changed the %.*s\ninput:   %.*s\nwritten: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(input.size()), input.data(), static_cast<int>(written.size()),
               written.data());
  std::abort();
}

}  // namespace domainauth::fuzz
