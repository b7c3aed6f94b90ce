// UTF-8 well-formedness (RFC 3629 section 4: no overlong forms, no surrogates,
// nothing above U+10FFFF), for text that must be valid UTF-8 where it goes
// (TOML files, JSON) while its source may hold any bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace domainauth::text {

// The length of the well-formed UTF-8 sequence starting at s[i]; 0 when ill-formed.
[[nodiscard]] constexpr std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, low = lead == 0xE0 ? 0xA0 : 0x80, high = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, low = lead == 0xF0 ? 0x90 : 0x80, high = lead == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if (i + length > s.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

[[nodiscard]] constexpr bool is_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// s with every ill-formed UTF-8 sequence replaced by U+FFFD; replaced counts them.
[[nodiscard]] inline std::string repair_utf8(std::string_view s, std::size_t& replaced) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++replaced;
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

// s cut to at most limit octets without splitting a UTF-8 sequence (s is
// well-formed); true when it was cut.
inline bool truncate_utf8(std::string& s, std::size_t limit) {
  if (s.size() <= limit) return false;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0U) == 0x80U) --end;
  s.resize(end);
  return true;
}

}  // namespace domainauth::text
