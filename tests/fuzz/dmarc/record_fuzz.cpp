// libFuzzer target: the DMARC record parser (RFC 7489 6.3, RFC 9989 4.7) on
// arbitrary bytes. Checks its invariants: is_dmarc_record() agrees with
// parse_record(), values stay in range, URI lists stay bounded.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dmarc/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth::dmarc;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseResult parsed = parse_record(text);
  if (parsed.record.has_value() != is_dmarc_record(text)) std::abort();
  if (!parsed.record) {
    if (parsed.reason.empty()) std::abort();
    return 0;
  }
  const Record& r = *parsed.record;
  if (r.pct < 0 || r.pct > 100) std::abort();
  if (r.rua.size() > kMaxReportUris || r.ruf.size() > kMaxReportUris) std::abort();
  for (const ReportUri& uri : r.rua) {
    if (uri.scheme.empty() || uri.uri.find(',') != std::string::npos) std::abort();
  }
  if (r.p.present && !r.p.value && !r.p.invalid()) std::abort();
  return 0;
}
