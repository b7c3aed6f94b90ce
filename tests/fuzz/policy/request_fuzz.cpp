// libFuzzer target for the Postfix policy request parser: arbitrary bytes fed in
// arbitrary chunks (the first byte picks the chunk size) must give requests or a
// ParseError, never a crash, and every parsed request must respect the limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using domainauth::policy::RequestParser;
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  RequestParser parser;
  while (!input.empty()) {
    const auto piece = input.substr(0, chunk);
    input.remove_prefix(piece.size());
    parser.feed(piece);
    for (auto next = parser.next(); next.kind != RequestParser::Next::Kind::need_more; next = parser.next()) {
      if (next.kind == RequestParser::Next::Kind::error) return 0;
      if (next.request.attributes().size() > domainauth::policy::kMaxAttributes) std::abort();
    }
  }
  return 0;
}
