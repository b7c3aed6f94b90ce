// Test and benchmark helper: one milter packet as the MTA sends it (length,
// command code, payload), for driving a session or a Conversation.
#pragma once

#include <cstdint>
#include <string>

namespace domainauth::testing {

inline std::string milter_packet(char code, const std::string& payload = "") {
  const auto n = static_cast<std::uint32_t>(payload.size() + 1);
  return std::string{char(n >> 24), char(n >> 16), char(n >> 8), char(n), code} + payload;
}

}  // namespace domainauth::testing
