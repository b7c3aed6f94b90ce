// libFuzzer target: RFC 6651 reporting records (_report._domainkey TXT data).
#include <cstdint>
#include <string_view>

#include "dkim/report_record.hpp"

using namespace domainauth::dkim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_report_record(input);
  if (parsed.ok()) {
    for (auto f : {Failure::none, Failure::body_hash, Failure::syntax, Failure::other}) (void)parsed.record.requests(f);
  }
  return 0;
}
