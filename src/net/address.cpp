// IP address and network parsing and printing (RFC 4291, RFC 5952 text forms).
#include "net/address.hpp"

#include <charconv>
#include <cstdio>

namespace domainauth::net {
namespace {

std::optional<std::uint8_t> parse_octet(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;  // no octal look-alikes
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 255) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

std::optional<std::array<std::uint8_t, 4>> parse_quad(std::string_view s) {
  std::array<std::uint8_t, 4> out{};
  for (int i = 0; i < 4; ++i) {
    auto dot = s.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
    auto part = s.substr(0, dot);
    auto octet = parse_octet(part);
    if (!octet) return std::nullopt;
    out[static_cast<std::size_t>(i)] = *octet;
    s = i < 3 ? s.substr(dot + 1) : std::string_view{};
  }
  return out;
}

std::optional<std::uint16_t> parse_hextet(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

}  // namespace

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> b) {
  IpAddress a;
  a.family_ = Family::v4;
  for (std::size_t i = 0; i < 4; ++i) a.bytes_[i] = b[i];
  return a;
}

IpAddress IpAddress::v6(std::array<std::uint8_t, 16> b) {
  IpAddress a;
  a.family_ = Family::v6;
  a.bytes_ = b;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  return parse_v4(text);
}

std::optional<IpAddress> IpAddress::parse_v4(std::string_view text) {
  auto quad = parse_quad(text);
  if (!quad) return std::nullopt;
  return v4(*quad);
}

std::optional<IpAddress> IpAddress::parse_v6(std::string_view text) {
  if (text.size() < 2 || text.size() > 45) return std::nullopt;
  std::array<std::uint16_t, 8> groups{};
  int count = 0;        // groups written
  int gap = -1;         // index where "::" stands
  std::size_t pos = 0;
  if (text.starts_with("::")) {
    gap = 0;
    pos = 2;
    if (pos == text.size()) return v6({});
  } else if (text[0] == ':') {
    return std::nullopt;
  }
  while (pos < text.size()) {
    auto end = text.find(':', pos);
    auto part = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (part.find('.') != std::string_view::npos) {
      // Embedded IPv4 must be last and leaves room for two groups.
      if (end != std::string_view::npos || count > 6) return std::nullopt;
      auto quad = parse_quad(part);
      if (!quad) return std::nullopt;
      groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(((*quad)[0] << 8) | (*quad)[1]);
      groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(((*quad)[2] << 8) | (*quad)[3]);
      pos = text.size();
      break;
    }
    auto hextet = parse_hextet(part);
    if (!hextet || count >= 8) return std::nullopt;
    groups[static_cast<std::size_t>(count++)] = *hextet;
    if (end == std::string_view::npos) {
      pos = text.size();
    } else if (end + 1 < text.size() && text[end + 1] == ':') {
      if (gap >= 0) return std::nullopt;  // only one "::"
      gap = count;
      pos = end + 2;
    } else {
      if (end + 1 == text.size()) return std::nullopt;  // trailing single ':'
      pos = end + 1;
    }
  }
  if (gap < 0 && count != 8) return std::nullopt;
  if (gap >= 0 && count > 7) return std::nullopt;
  std::array<std::uint16_t, 8> full{};
  if (gap < 0) {
    full = groups;
  } else {
    int tail = count - gap;
    for (int i = 0; i < gap; ++i) full[static_cast<std::size_t>(i)] = groups[static_cast<std::size_t>(i)];
    for (int i = 0; i < tail; ++i)
      full[static_cast<std::size_t>(8 - tail + i)] = groups[static_cast<std::size_t>(gap + i)];
  }
  std::array<std::uint8_t, 16> b{};
  for (std::size_t i = 0; i < 8; ++i) {
    b[2 * i] = static_cast<std::uint8_t>(full[i] >> 8);
    b[2 * i + 1] = static_cast<std::uint8_t>(full[i] & 0xff);
  }
  return v6(b);
}

IpAddress IpAddress::unmapped() const {
  if (is_v4()) return *this;
  for (std::size_t i = 0; i < 10; ++i)
    if (bytes_[i] != 0) return *this;
  if (bytes_[10] != 0xff || bytes_[11] != 0xff) return *this;
  return v4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

bool IpAddress::is_loopback() const {
  const IpAddress plain = unmapped();
  if (plain.is_v4()) return plain.bytes_[0] == 127;
  for (std::size_t i = 0; i < 15; ++i)
    if (plain.bytes_[i] != 0) return false;
  return plain.bytes_[15] == 1;
}

std::string IpAddress::to_string() const {
  char buf[64];
  if (is_v4()) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", bytes_[0], bytes_[1], bytes_[2], bytes_[3]);
    return buf;
  }
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) g[i] = (unsigned{bytes_[2 * i]} << 8) | bytes_[2 * i + 1];
  // RFC 5952 4.2: compress the longest run (length >= 2) of zero groups, first one wins.
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[static_cast<std::size_t>(i)] != 0) { ++i; continue; }
    int j = i;
    while (j < 8 && g[static_cast<std::size_t>(j)] == 0) ++j;
    if (j - i > best_len && j - i >= 2) { best = i; best_len = j - i; }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[static_cast<std::size_t>(i)]);
    out += buf;
  }
  return out;
}

std::string IpAddress::dotted_nibbles() const {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size(); ++i) {
    if (!out.empty()) out += '.';
    out += hex[bytes_[i] >> 4];
    out += '.';
    out += hex[bytes_[i] & 0xf];
  }
  return out;
}

std::string IpAddress::reverse_name() const {
  if (is_v4()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u.in-addr.arpa", bytes_[3], bytes_[2], bytes_[1], bytes_[0]);
    return buf;
  }
  std::string nibbles = dotted_nibbles();
  return std::string(nibbles.rbegin(), nibbles.rend()) + ".ip6.arpa";
}

bool IpAddress::matches(const IpAddress& other, unsigned prefix_len) const {
  if (family_ != other.family_) return false;
  unsigned width = static_cast<unsigned>(size()) * 8;
  if (prefix_len > width) prefix_len = width;
  std::size_t full = prefix_len / 8;
  for (std::size_t i = 0; i < full; ++i)
    if (bytes_[i] != other.bytes_[i]) return false;
  unsigned rest = prefix_len % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes_[full] & mask) == (other.bytes_[full] & mask);
}

std::optional<Network> Network::parse(std::string_view text) {
  auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  unsigned width = ip->is_v4() ? 32 : 128;
  unsigned len = width;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc{} || p != digits.data() + digits.size() || len > width) return std::nullopt;
  }
  return Network{*ip, len};
}

bool Network::contains(const IpAddress& ip) const {
  return address.matches(ip.unmapped(), prefix_len) || address.matches(ip, prefix_len);
}

std::string Network::to_string() const {
  unsigned width = address.is_v4() ? 32 : 128;
  if (prefix_len == width) return address.to_string();
  return address.to_string() + "/" + std::to_string(prefix_len);
}

}  // namespace domainauth::net
