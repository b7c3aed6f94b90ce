// libFuzzer target: a report mail (report/ingest_mail.hpp), walked for
// attachments with small unpack limits. Properties: no crash; no document
// larger than the limit.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "report/ingest_mail.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  domainauth::report::UnpackLimits limits;
  limits.max_output = 1 << 20;
  const auto found = domainauth::report::documents_from_mail(input, limits);
  for (const auto& d : found.documents) {
    if (d.text.size() > limits.max_output && d.text.size() > input.size()) __builtin_trap();
  }
  return 0;
}
