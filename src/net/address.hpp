// IP addresses and CIDR networks as values: parse, print, compare, match.
// Used wherever a client address or a configured network list is handled
// (SPF ip4/ip6/a/mx, policy and milter client addresses, trusted-host lists).
// Reads untrusted text: every parser returns std::nullopt on bad input.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace domainauth::net {

class IpAddress {
 public:
  enum class Family : std::uint8_t { v4, v6 };

  IpAddress() = default;
  static IpAddress v4(std::array<std::uint8_t, 4> bytes);
  static IpAddress v6(std::array<std::uint8_t, 16> bytes);

  // Dotted quad or RFC 4291 text (with "::" and embedded IPv4); no zone ids,
  // no brackets, no leading zeros in IPv4 octets.
  [[nodiscard]] static std::optional<IpAddress> parse(std::string_view text);
  [[nodiscard]] static std::optional<IpAddress> parse_v4(std::string_view text);
  [[nodiscard]] static std::optional<IpAddress> parse_v6(std::string_view text);

  [[nodiscard]] Family family() const { return family_; }
  [[nodiscard]] bool is_v4() const { return family_ == Family::v4; }
  [[nodiscard]] bool is_v6() const { return family_ == Family::v6; }
  // 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104 (RFC 6890).
  [[nodiscard]] bool is_loopback() const;
  // IPv4 uses the first 4 bytes.
  [[nodiscard]] const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  [[nodiscard]] std::size_t size() const { return is_v4() ? 4 : 16; }

  // ::ffff:a.b.c.d -> a.b.c.d (RFC 7208 5: treat IPv4-mapped as IPv4).
  [[nodiscard]] IpAddress unmapped() const;

  // Canonical text: dotted quad, or RFC 5952 compressed IPv6.
  [[nodiscard]] std::string to_string() const;
  // The reverse-DNS name without trailing dot: 4.3.2.1.in-addr.arpa / nibbles.ip6.arpa.
  [[nodiscard]] std::string reverse_name() const;
  // Dotted-nibble form used by SPF's %{i} for IPv6 (RFC 7208 7.3).
  [[nodiscard]] std::string dotted_nibbles() const;

  // True when the first prefix_len bits equal those of other (same family).
  [[nodiscard]] bool matches(const IpAddress& other, unsigned prefix_len) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

// A network "addr/len" or a single address (len = full width).
struct Network {
  IpAddress address;
  unsigned prefix_len = 32;

  [[nodiscard]] static std::optional<Network> parse(std::string_view text);
  [[nodiscard]] bool contains(const IpAddress& ip) const;
  [[nodiscard]] std::string to_string() const;
};

}  // namespace domainauth::net
