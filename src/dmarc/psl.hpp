// The public suffix list through libpsl: the RFC 7489 3.2 Organizational
// Domain (the registrable domain: the longest matching public suffix plus one
// label). Reads a list file (trusted configuration) and domain names taken
// from messages (untrusted).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct psl_ctx_st;

namespace domainauth::dmarc {

// Debian's publicsuffix package; the build may set another default
// (CMake DOMAINAUTH_PSL_FILE).
#ifndef DOMAINAUTH_PSL_FILE
#define DOMAINAUTH_PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"
#endif
inline constexpr std::string_view kSystemPublicSuffixList = DOMAINAUTH_PSL_FILE;

class PublicSuffixList {
 public:
  // Loads a list in the publicsuffix.org text format; nullptr with why on error.
  [[nodiscard]] static std::unique_ptr<PublicSuffixList> load(const std::string& path, std::string& why);

  ~PublicSuffixList();
  PublicSuffixList(const PublicSuffixList&) = delete;
  PublicSuffixList& operator=(const PublicSuffixList&) = delete;

  // RFC 7489 3.2: the Organizational Domain of name (ASCII or UTF-8, any case;
  // the answer is lower case, in the input's form). nullopt when name is itself
  // a public suffix, starts with a dot, or is not a domain name.
  [[nodiscard]] std::optional<std::string> organizational_domain(std::string_view name) const;

 private:
  explicit PublicSuffixList(psl_ctx_st* ctx) : ctx_(ctx) {}
  psl_ctx_st* ctx_;
};

}  // namespace domainauth::dmarc
