// libFuzzer target: the configuration loader (TOML syntax, then every declared
// key's type and value checks) on arbitrary file text. It must either give a
// configuration or errors naming a line, never both, never crash or hang.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = domainauth::config::load_string(text, "fuzz.toml");
  if (result.config.has_value() == !result.errors.empty()) std::abort();
  for (const auto& error : result.errors) {
    if (error.empty()) std::abort();
  }
  return 0;
}
