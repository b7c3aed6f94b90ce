// libFuzzer target: gzip and zip reading (report/unpack.hpp) of any octets.
// Properties: no crash; output never beyond max_output nor the ratio limit;
// an empty result always says why.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "report/unpack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  domainauth::report::UnpackLimits limits;
  limits.max_output = 1 << 20;
  limits.max_ratio = 50;
  for (const auto& result : {domainauth::report::gunzip(input, limits), domainauth::report::unzip(input, limits)}) {
    if (result.files.empty() && result.error.empty()) __builtin_trap();
    std::size_t total = 0;
    for (const auto& f : result.files) total += f.data.size();
    if (total > limits.max_output || total > std::max<std::size_t>(size, 4096) * limits.max_ratio) __builtin_trap();
  }
  return 0;
}
