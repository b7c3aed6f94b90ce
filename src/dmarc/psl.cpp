// Public suffix list lookups through libpsl (RFC 7489 3.2). See psl.hpp.
#include "dmarc/psl.hpp"

#include <libpsl.h>

#include "dmarc/text.hpp"

namespace domainauth::dmarc {

std::unique_ptr<PublicSuffixList> PublicSuffixList::load(const std::string& path, std::string& why) {
  psl_ctx_t* ctx = psl_load_file(path.c_str());
  if (ctx == nullptr) {
    why = "cannot load the public suffix list " + path;
    return nullptr;
  }
  return std::unique_ptr<PublicSuffixList>(new PublicSuffixList(ctx));
}

PublicSuffixList::~PublicSuffixList() { psl_free(ctx_); }

std::optional<std::string> PublicSuffixList::organizational_domain(std::string_view name) const {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxDomainLength * 4) return std::nullopt;  // UTF-8: up to 4 bytes a character
  for (std::string_view label : split(name, '.')) {
    if (label.empty()) return std::nullopt;
  }
  std::string input(name);
  if (input.find('\0') != std::string::npos) return std::nullopt;
  char* lower = nullptr;
  if (psl_str_to_utf8lower(input.c_str(), "utf-8", nullptr, &lower) != PSL_SUCCESS || lower == nullptr) {
    return std::nullopt;
  }
  std::unique_ptr<char, decltype(&psl_free_string)> owned(lower, &psl_free_string);
  const char* registrable = psl_registrable_domain(ctx_, lower);
  if (registrable == nullptr) return std::nullopt;
  return std::string(registrable);
}

}  // namespace domainauth::dmarc
