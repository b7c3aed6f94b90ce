// Writes Postfix policy replies (SMTPD_POLICY_README). Its input may hold
// untrusted text (SPF explanations from DNS, HELO names, addresses).
#include "policy/reply.hpp"

#include <algorithm>

namespace domainauth::policy {

std::string format_reply(std::string_view action) {
  std::string reply = "action=";
  const auto length = std::min(action.size(), kMaxActionLength);
  reply.reserve(length + 9);
  for (std::size_t i = 0; i < length; ++i) {
    const auto c = static_cast<unsigned char>(action[i]);
    reply.push_back(c < 0x20 || c == 0x7f ? ' ' : action[i]);
  }
  reply += "\n\n";
  return reply;
}

}  // namespace domainauth::policy
