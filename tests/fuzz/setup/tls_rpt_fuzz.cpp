// libFuzzer target: the TLS-RPT record parser (setup/receiving_records.hpp).
// Nothing may crash or hang; a valid record has 1 to kMaxReportUris rua=
// destinations, each mailto: or https:; an invalid one says why.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "setup/receiving_records.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth::setup;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)is_tls_rpt_record(input);
  const TlsRptRecord record = parse_tls_rpt_record(input);
  if (!record.error.empty()) return 0;
  if (record.rua.empty() || record.rua.size() > kMaxReportUris) std::abort();
  for (const auto& uri : record.rua) {
    if (uri.size() < 7) std::abort();
  }
  return 0;
}
