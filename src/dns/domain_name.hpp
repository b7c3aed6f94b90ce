// Domain name syntax shared by the protocol modules: the DNS length limits
// (RFC 1035 2.3.4) and the check of a name taken from a message or a record
// (untrusted input) before anything is built from it.
#pragma once

#include <cstddef>
#include <string_view>

namespace domainauth::dns {

inline constexpr std::size_t kMaxDomainLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

// An LDH (or underscore) domain name of at least one label, each label 1-63
// octets, at most 253 in all; one trailing dot allowed. ASCII only.
[[nodiscard]] bool is_domain_name(std::string_view name);

}  // namespace domainauth::dns
