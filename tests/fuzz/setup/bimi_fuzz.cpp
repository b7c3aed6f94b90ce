// libFuzzer target: the BIMI record parser (setup/receiving_records.hpp) and
// the SVG Tiny PS check of the logo (setup/svg_tiny_ps.hpp). Nothing may crash
// or hang; a valid record's l= and a= are empty or https URLs; the SVG check
// lists at most kMaxSvgProblems problems (plus the missing <title>).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "setup/receiving_records.hpp"
#include "setup/svg_tiny_ps.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth::setup;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)is_bimi_record(input);
  const BimiRecord record = parse_bimi_record(input);
  if (record.error.empty()) {
    if (!record.logo.empty() && !record.logo.starts_with("https://")) std::abort();
    if (!record.evidence.empty() && !record.evidence.starts_with("https://")) std::abort();
  }
  if (check_svg_tiny_ps(input).size() > kMaxSvgProblems) std::abort();
  return 0;
}
