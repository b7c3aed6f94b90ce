// Wire-format rdata of the record types dns::Answer carries, decoded into its
// fields: A (RFC 1035 3.4.1), AAAA (RFC 3596 2.2), MX (RFC 1035 3.3.9), PTR
// (RFC 1035 3.3.12), TXT (RFC 1035 3.3.14), TLSA (RFC 6698 2.1) and the domain names inside them
// (RFC 1035 3.1, uncompressed as libunbound delivers them).
// Reads untrusted bytes from DNS answers: every length is checked against the
// rdata bounds; malformed rdata is an error, never a read past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dns/resolver.hpp"

namespace domainauth::dns {

// RFC 1035 2.3.4: at most 255 octets in a wire-format name. (A label's 63-octet
// limit follows from its length octet having its two top bits clear.)
inline constexpr std::size_t max_name_octets = 255;

// Decodes the uncompressed wire-format name at rdata[pos] into presentation
// text: lower case, no trailing dot ("" for the root), '.', '\\' and bytes that
// are not printable ASCII escaped as in RFC 1035 5.1 ("\.", "\\", "\DDD"), so
// the text can be looked up again. Advances pos past the name. Returns false,
// with error set, on a truncated name, a compression pointer or an oversized name.
[[nodiscard]] bool read_name(std::span<const std::uint8_t> rdata, std::size_t& pos, std::string& out,
                             std::string& error);

// Decodes one record of the given type and appends it to the matching list of
// answer (txt, addresses, mx, names or tlsa). Returns false, with error set and answer
// unchanged, when the rdata is malformed for that type.
[[nodiscard]] bool append_rdata(RecordType type, std::span<const std::uint8_t> rdata, Answer& answer,
                                std::string& error);

}  // namespace domainauth::dns
