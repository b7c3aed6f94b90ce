// libFuzzer target: SPF macro syntax checks and expansion (RFC 7208 7) on
// arbitrary text, with the first byte choosing domain or explanation use and
// the sender's local part. Checks: valid text expands, domain names stay within
// 253 octets, output stays bounded.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "spf/macro.hpp"

using namespace domainauth::spf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  MacroUse use = (data[0] & 1) ? MacroUse::explanation : MacroUse::domain;
  std::string local(static_cast<std::size_t>(data[0] >> 1), 'l');
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  MacroContext context;
  std::string sender = local + "@example.com";
  context.sender = sender;
  context.local_part = local;
  context.sender_domain = "example.com";
  context.domain = "sub.example.com";
  context.ip = *domainauth::net::IpAddress::parse((data[0] & 2) ? "2001:db8::1" : "192.0.2.1");
  context.helo = "mail.example.net";
  bool valid = check_macro_string(text, use).empty();
  Expansion expanded = expand(text, context, use);
  if (valid != expanded.ok() && expanded.error.find("longer than") == std::string::npos) std::abort();
  if (expanded.text.size() > kMaxExpansionLength) std::abort();
  (void)uses_validated_name(text);
  if (check_domain_spec(text).empty()) {
    if (use == MacroUse::domain && !valid) std::abort();
    Expansion name = expand_domain(text, context);
    if (name.ok() && name.text.size() > kMaxDomainLength) std::abort();
  }
  return 0;
}
