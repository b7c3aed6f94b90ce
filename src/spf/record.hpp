// SPF record model and parser (RFC 7208 4.5 record selection, 4.6 record
// syntax, 5 mechanisms, 6 modifiers, 12 ABNF). Pure: no DNS, no Asio.
// Reads untrusted input: TXT record text from DNS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.hpp"

namespace domainauth::spf {

// A TXT RDATA cannot be longer; anything longer is not a real record.
inline constexpr std::size_t kMaxRecordLength = 65535;

// RFC 7208 4.6.2: "+" pass, "-" fail, "~" softfail, "?" neutral.
enum class Qualifier : std::uint8_t { pass, fail, softfail, neutral };

enum class MechanismKind : std::uint8_t { all, include, a, mx, ptr, ip4, ip6, exists };

struct Mechanism {
  Qualifier qualifier = Qualifier::pass;
  MechanismKind kind = MechanismKind::all;
  std::string domain_spec;   // include, a, mx, ptr, exists; empty = <domain>
  net::Network network;      // ip4, ip6
  unsigned cidr4 = 32;       // a, mx: ip4-cidr-length
  unsigned cidr6 = 128;      // a, mx: ip6-cidr-length
  std::string text;          // the term as written, e.g. "-ip4:192.0.2.0/24"

  // RFC 7208 4.6.4: counted against the 10 DNS-querying terms.
  [[nodiscard]] bool queries_dns() const;
};

struct Record {
  std::vector<Mechanism> mechanisms;
  std::optional<std::string> redirect;  // domain-spec (RFC 7208 6.1)
  std::optional<std::string> exp;       // domain-spec (RFC 7208 6.2)

  // RFC 7208 6.1: redirect is ignored when the record has an "all".
  [[nodiscard]] bool has_all() const;
};

struct ParsedRecord {
  Record record;
  std::string error;  // empty on success; else names the offending term
  [[nodiscard]] bool ok() const { return error.empty(); }
};

// RFC 7208 4.5: "v=spf1" (any case) followed by a space or the end.
[[nodiscard]] bool is_spf_record(std::string_view text);

// Parses a whole record (which must pass is_spf_record()). Any syntax error
// anywhere makes the record a permerror (RFC 7208 4.6).
[[nodiscard]] ParsedRecord parse_record(std::string_view text);

[[nodiscard]] std::string_view to_string(MechanismKind kind);

}  // namespace domainauth::spf
