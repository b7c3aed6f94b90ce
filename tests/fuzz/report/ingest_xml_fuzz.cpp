// libFuzzer target: a received aggregate report document (report/ingest_xml.hpp).
// Properties: no crash; a report comes with no error and at least one record,
// each with a count within the limit and an address that reads back the same;
// a refusal always says why.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/address.hpp"
#include "report/ingest_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const domainauth::report::IngestLimits limits;
  const auto parsed = domainauth::report::parse_aggregate(input, 1790000000, limits);
  if (!parsed.report) {
    if (parsed.error.empty()) __builtin_trap();
    return 0;
  }
  if (!parsed.error.empty() || parsed.report->records.empty()) __builtin_trap();
  for (const auto& r : parsed.report->records) {
    if (r.count > limits.max_count) __builtin_trap();
    const auto ip = domainauth::net::IpAddress::parse(r.source_ip);
    if (!ip || ip->to_string() != r.source_ip) __builtin_trap();
  }
  if (parsed.report->end < parsed.report->begin || parsed.report->end > 1790000000 + limits.max_future) __builtin_trap();
  return 0;
}
