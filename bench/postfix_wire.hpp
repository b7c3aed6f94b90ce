// What Postfix 3.7 sends a milter for one message on a fresh connection, as
// one string of packets: option negotiation, its default milter_*_macros, the
// connect, HELO and MAIL events, a packet per header field, the body in chunks
// of at most 65535 octets, the end of message and QUIT. Shared by the in-memory
// session benchmark (milter_bench.cpp) and the milter load generator
// (milter_load.cpp). Builds bytes only; reads no input.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "support/milter_packet.hpp"

namespace domainauth::bench {

using domainauth::testing::milter_packet;

inline std::string macros(char stage, std::initializer_list<std::pair<std::string, std::string>> list) {
  std::string payload(1, stage);
  for (const auto& [name, value] : list) payload += name + '\0' + value + '\0';
  return milter_packet('D', payload);
}

// What Postfix sends for one message on a fresh milter connection (its default
// milter_*_macros), the message split as it splits it: a packet per header
// field, the body in chunks of at most 65535 octets.
inline std::string postfix_session(const std::string& message, const std::string& client_ip, const std::string& sender) {
  std::string s = milter_packet('O', std::string{0, 0, 0, 6, 0, 0, 1, char(0xff), 0, 0x1f, char(0xff), char(0xff)});
  s += macros('C', {{"j", "mx.example.org"}, {"{daemon_name}", "mx"}, {"{daemon_addr}", "127.0.0.1"},
                    {"v", "Postfix 3.7.11"}, {"_", "client.example [" + client_ip + "]"}});
  s += milter_packet('C', std::string("client.example") + '\0' + '4' + std::string{char(0xc3), 0x50} + client_ip + '\0');
  s += milter_packet('H', std::string("client.example") + '\0');
  s += macros('M', {{"i", "4QxYzB2abcz"}, {"{mail_addr}", sender}, {"{mail_host}", ""}, {"{mail_mailer}", "smtp"}});
  s += milter_packet('M', "<" + sender + ">" + '\0');
  const auto split = message.find("\r\n\r\n");
  std::size_t at = 0;
  while (at < split) {
    std::size_t end = message.find("\r\n", at);
    while (end + 2 < split && (message[end + 2] == ' ' || message[end + 2] == '\t')) end = message.find("\r\n", end + 2);
    const auto line = message.substr(at, end - at);
    const auto colon = line.find(':');
    std::string value;  // folds as LF, as Postfix hands them over
    for (std::size_t i = colon + 1; i < line.size(); ++i) {
      if (line[i] != '\r' || i + 1 == line.size() || line[i + 1] != '\n') value += line[i];
    }
    s += milter_packet('L', line.substr(0, colon) + '\0' + value + '\0');
    at = end + 2;
  }
  s += milter_packet('N');
  const std::string body = message.substr(split + 4);
  for (std::size_t b = 0; b < body.size(); b += 65535) s += milter_packet('B', body.substr(b, 65535));
  s += macros('E', {{"i", "4QxYzB2abcz"}});
  s += milter_packet('E');
  s += milter_packet('Q');
  return s;
}

}  // namespace domainauth::bench
