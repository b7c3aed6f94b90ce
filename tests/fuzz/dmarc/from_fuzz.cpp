// libFuzzer target: Author Domain extraction (RFC 7489 6.6.1) from an
// arbitrary From field value. Every domain it returns must be a lower-case
// ASCII domain name, at most kMaxAuthorDomains of them, and the status must
// match the count.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dmarc/author.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth::dmarc;
  Author a = extract_author(std::string_view(reinterpret_cast<const char*>(data), size));
  if (a.reason.empty() || a.domains.size() > kMaxAuthorDomains) std::abort();
  if ((a.status == AuthorStatus::single) != (a.domains.size() == 1)) std::abort();
  if (a.status == AuthorStatus::multiple_domains && a.domains.size() < 2) std::abort();
  for (const std::string& d : a.domains) {
    if (d.empty() || d.size() > 253 || d.back() == '.') std::abort();
    for (char c : d) {
      if (c >= 'A' && c <= 'Z') std::abort();
      if (static_cast<unsigned char>(c) >= 0x80) std::abort();
    }
  }
  return 0;
}
