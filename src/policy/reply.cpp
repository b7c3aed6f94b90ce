// Writes Postfix policy replies (SMTPD_POLICY_README). Its input may hold
// untrusted text (SPF explanations from DNS, HELO names, addresses).
#include "policy/reply.hpp"

#include <algorithm>

#include "text/ascii.hpp"

namespace domainauth::policy {

std::string format_reply(std::string_view action) {
  std::string reply = "action=";
  const auto length = std::min(action.size(), kMaxActionLength);
  reply.reserve(length + 9);
  for (std::size_t i = 0; i < length; ++i) {
    reply.push_back(text::is_control(action[i]) ? ' ' : action[i]);
  }
  reply += "\n\n";
  return reply;
}

}  // namespace domainauth::policy
