// ASCII text helpers shared by every parser (locale free, no allocation unless
// a string is returned): character classes, case folding, case-insensitive
// comparison, trimming. Mail protocols are case-insensitive in ASCII only.
#pragma once

#include <string>
#include <string_view>

namespace domainauth::text {

[[nodiscard]] constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
[[nodiscard]] constexpr bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
[[nodiscard]] constexpr bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
[[nodiscard]] constexpr int hex_value(char c) {
  return is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
}
// RFC 5234 WSP: space and horizontal tab.
[[nodiscard]] constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }
// The octets folding white space is made of (RFC 5322 3.2.2 FWS): WSP, CR, LF.
[[nodiscard]] constexpr bool is_fws(char c) { return is_wsp(c) || c == '\r' || c == '\n'; }
// RFC 5234 CTL: %x00-1F / %x7F.
[[nodiscard]] constexpr bool is_control(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}
[[nodiscard]] constexpr char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

[[nodiscard]] inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

// Strips spaces and horizontal tabs (RFC 5234 WSP) at both ends.
[[nodiscard]] constexpr std::string_view trim_wsp(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

// Strips WSP, CR and LF (unfolded or folded white space) at both ends.
[[nodiscard]] constexpr std::string_view trim_fws(std::string_view s) {
  while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
  return s;
}

// The octets of s as lower-case hex digits, two per octet.
[[nodiscard]] inline std::string to_hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    out += kHex[byte >> 4U];
    out += kHex[byte & 0xfU];
  }
  return out;
}

}  // namespace domainauth::text
