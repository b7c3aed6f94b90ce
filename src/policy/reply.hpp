// Postfix policy delegation protocol: the reply side. A reply is one line
// "action=<text>" followed by an empty line (SMTPD_POLICY_README). The action
// text is an access(5) action: DUNNO, PREPEND <header>, 550 5.7.23 <text>,
// 451 4.4.3 <text>, ... Text that came from DNS or the SMTP dialogue is made
// safe here: a line break in it would end the reply early and let the
// remainder be read as the next reply.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace domainauth::policy {

// Postfix reads a reply line up to its line_length_limit (2048 by default);
// stay below it so a long Received-SPF field is cut here, not dropped there.
inline constexpr std::size_t kMaxActionLength = 2000;

// "action=<action>\n\n", with CR, LF and other control characters in action
// replaced by spaces and the text cut at kMaxActionLength.
[[nodiscard]] std::string format_reply(std::string_view action);

}  // namespace domainauth::policy
