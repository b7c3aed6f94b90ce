// What to do with a message given its SPF results: the one place that turns
// RFC 7208 results into accept / reject / defer, shared by the Postfix policy
// service and the milter, and configured by config/ ([spf.helo], [spf.mail_from]). Pure: no I/O, no DNS. The policy per result and per
// identity is configurable like policyd-spf's HELO_reject / Mail_From_reject;
// SMTP codes follow RFC 7208 8.4 (fail: 550), 8.6 (temperror: 451 4.4.3) and
// RFC 7372 3.2/3.3 (5.7.23 SPF validation failed, 5.7.24 SPF validation error).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spf/spf.hpp"

namespace domainauth::spf {

enum class Verdict : std::uint8_t {
  accept,  // let the message through (with a Received-SPF field when configured)
  reject,  // 5xx
  defer,   // 4xx: the sender retries later
};

[[nodiscard]] std::string_view to_string(Verdict verdict);
[[nodiscard]] std::optional<Verdict> parse_verdict(std::string_view text);

// The verdict for each SPF result of one identity.
class Actions {
 public:
  // fail -> reject, temperror -> defer, everything else -> accept (RFC 7208
  // 8.4 and 8.6 recommendations; permerror accepted as policyd-spf does).
  Actions();
  [[nodiscard]] Verdict operator[](spf::Result result) const;
  void set(spf::Result result, Verdict verdict);

 private:
  std::array<Verdict, 7> by_result_{};
};

struct Policy {
  Actions helo;
  Actions mail_from;
};

struct Decision {
  Verdict verdict = Verdict::accept;
  // The identity whose result decided, and whose Received-SPF field to add on accept.
  spf::Identity identity = spf::Identity::mailfrom;
  // For reject / defer: the SMTP reply, e.g. "550 5.7.23 <explanation>".
  std::string smtp_reply;
};

// Decides from the HELO outcome (when HELO was checked) and the MAIL FROM
// outcome. A HELO result whose verdict is reject or defer decides first (as
// policyd-spf checks HELO before MAIL FROM); otherwise the MAIL FROM result
// decides. On accept the Received-SPF field names the MAIL FROM identity,
// unless MAIL FROM gave none and HELO gave a result.
[[nodiscard]] Decision decide(const Policy& policy, const spf::Outcome* helo, const spf::Outcome& mail_from);

}  // namespace domainauth::spf
