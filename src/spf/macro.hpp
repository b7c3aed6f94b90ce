// SPF macros (RFC 7208 section 7): syntax checks of macro-string and
// domain-spec, and expansion of macro letters with their transformers and
// delimiters. Pure: no DNS. %{p} needs DNS, so the evaluator computes the
// validated name first (uses_validated_name() says when) and passes it in.
// Reads untrusted input: record terms and exp= TXT text from DNS, and the
// sender/HELO values from the SMTP dialogue.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dns/domain_name.hpp"
#include "net/address.hpp"

namespace domainauth::spf {

// Where a macro-string appears: domain-specs allow the letters s l o d i p v h;
// explanation text (RFC 7208 6.2) also c r t, and spaces.
enum class MacroUse : std::uint8_t { domain, explanation };

// RFC 7208 7.3: a domain name used in a query is at most 253 octets.
using dns::kMaxDomainLength;
using dns::kMaxLabelLength;
// Bound on any expansion result (inputs are at most one TXT record long).
inline constexpr std::size_t kMaxExpansionLength = 65536;

// The values macro letters expand to (RFC 7208 7.2).
struct MacroContext {
  std::string_view sender;         // s
  std::string_view local_part;     // l
  std::string_view sender_domain;  // o
  std::string_view domain;         // d
  net::IpAddress ip;               // i, c, v (already unmapped from ::ffff:0:0/96)
  std::string_view validated_name = "unknown";  // p
  std::string_view helo;                        // h
  std::string_view receiver = "unknown";        // r
  std::int64_t timestamp = 0;                   // t
};

// Empty when text is a valid macro-string (explanation-string for
// MacroUse::explanation), else the reason.
[[nodiscard]] std::string check_macro_string(std::string_view text, MacroUse use);

// RFC 7208 7.1: domain-spec = macro-string domain-end; domain-end is
// "." toplabel ["."] or a macro-expand. Empty when valid, else the reason.
[[nodiscard]] std::string check_domain_spec(std::string_view text);

// True when text (a valid macro-string) expands %{p}.
[[nodiscard]] bool uses_validated_name(std::string_view text);

struct Expansion {
  std::string text;
  std::string error;  // empty on success
  [[nodiscard]] bool ok() const { return error.empty(); }
};

// Expands every macro in text.
[[nodiscard]] Expansion expand(std::string_view text, const MacroContext& context, MacroUse use);

// Expands a domain-spec into the name to query: trailing dot dropped, then
// truncated from the left, label by label, to kMaxDomainLength (RFC 7208 7.3).
[[nodiscard]] Expansion expand_domain(std::string_view domain_spec, const MacroContext& context);

}  // namespace domainauth::spf
