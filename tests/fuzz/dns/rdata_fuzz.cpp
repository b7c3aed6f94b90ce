// Fuzz target for wire-format rdata decoding (dns/rdata.hpp): the first octet
// picks the record type, the rest is rdata as it would come from a DNS answer.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/rdata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using domainauth::dns::RecordType;
  constexpr std::array<RecordType, 6> types = {RecordType::a,   RecordType::aaaa, RecordType::mx,
                                               RecordType::ptr, RecordType::txt,  RecordType::tlsa};
  if (size == 0) return 0;
  const RecordType type = types[data[0] % types.size()];
  domainauth::dns::Answer answer;
  std::string error;
  if (domainauth::dns::append_rdata(type, std::span(data + 1, size - 1), answer, error)) {
    if (answer.record_count() != 1) __builtin_trap();  // one rdata is one record
    if (!answer.tlsa.empty() && answer.tlsa.front().data.size() + 3 != size - 1) __builtin_trap();
  } else if (error.empty()) {
    __builtin_trap();  // a failure always says why
  }
  return 0;
}
