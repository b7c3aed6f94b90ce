// The DNS records and Postfix lines a setup needs, as text to paste: SPF
// (RFC 7208), DKIM key records (RFC 6376 3.6.1, split into character-strings of
// at most 255 octets, RFC 1035 3.3.14 / RFC 7208 3.3), DMARC (RFC 7489 6.3) in
// zone-file form with absolute names; and the Postfix main.cf / master.cf lines
// that connect Postfix to `domainauth serve`. Pure text; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.hpp"

namespace domainauth::setup {

// RFC 1035 3.3: one <character-string> holds at most 255 octets.
inline constexpr std::size_t kTxtStringMax = 255;

// Text -> quoted character-strings of at most max octets each ('"' and '\' escaped).
[[nodiscard]] std::vector<std::string> split_txt(std::string_view text, std::size_t max = kTxtStringMax);

// One TXT record in zone-file form: `name. 3600 IN TXT ( "..." "..." )`.
[[nodiscard]] std::string txt_zone_line(std::string_view name, std::string_view text);

// "v=spf1 ip4:192.0.2.1 mx ~all" (mx when no address is given).
[[nodiscard]] std::string spf_record(const std::vector<net::IpAddress>& senders);
// "v=DMARC1; p=none; rua=mailto:ADMIN".
[[nodiscard]] std::string dmarc_record(std::string_view admin_mailbox);
// The RFC 6651 reporting record of _report._domainkey.<d>: "ra=LOCAL; rr=all",
// LOCAL the admin mailbox's local-part (DKIM failure reports go to LOCAL@<d>),
// dkim-quoted-printable.
[[nodiscard]] std::string dkim_report_record(std::string_view admin_mailbox);

struct PostfixLines {
  std::string main_cf;
  std::string master_cf;
};
// The lines that connect Postfix to `domainauth serve` listening as config_path says.
[[nodiscard]] PostfixLines postfix_lines(std::string_view milter_listen, std::string_view policy_listen,
                                         std::string_view config_path);

}  // namespace domainauth::setup
