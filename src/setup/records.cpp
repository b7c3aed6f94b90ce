// Zone-file and Postfix text (see records.hpp).
#include "setup/records.hpp"

#include "config/paths.hpp"
#include "dkim/signature.hpp"

namespace domainauth::setup {

namespace {
constexpr int kTtl = 3600;

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string absolute(std::string_view name) {
  std::string out(name);
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

// Postfix writes a milter / policy endpoint as "inet:HOST:PORT" or "unix:PATH";
// domainauth's "local:PATH" is Postfix's "unix:PATH".
std::string postfix_endpoint(std::string_view listen) {
  if (listen.substr(0, 6) == "local:") return "unix:" + std::string(listen.substr(6));
  return std::string(listen);
}
}  // namespace

std::vector<std::string> split_txt(std::string_view text, std::size_t max) {
  if (text.empty()) return {"\"\""};
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < text.size(); pos += max) out.push_back("\"" + escape(text.substr(pos, max)) + "\"");
  return out;
}

std::string txt_zone_line(std::string_view name, std::string_view text) {
  auto parts = split_txt(text);
  std::string out = absolute(name) + "\t" + std::to_string(kTtl) + "\tIN\tTXT\t";
  if (parts.size() == 1) return out + parts.front() + "\n";
  out += "(";
  for (const auto& part : parts) out += "\n\t" + part;
  return out + " )\n";
}

std::string spf_record(const std::vector<net::IpAddress>& senders) {
  std::string out = "v=spf1";
  for (const auto& ip : senders) out += std::string(ip.is_v4() ? " ip4:" : " ip6:") + ip.to_string();
  if (senders.empty()) out += " mx";
  return out + " ~all";
}

std::string dmarc_record(std::string_view admin_mailbox) {
  return "v=DMARC1; p=none; rua=mailto:" + std::string(admin_mailbox);
}

std::string dkim_report_record(std::string_view admin_mailbox) {
  return "ra=" + dkim::encode_quoted_printable(admin_mailbox.substr(0, admin_mailbox.rfind('@'))) + "; rr=all";
}

PostfixLines postfix_lines(std::string_view milter_listen, std::string_view policy_listen,
                           std::string_view config_path) {
  PostfixLines lines;
  lines.main_cf =
      "# domainauth: DKIM signing and verification, DMARC, ARC and Authentication-Results (milter)\n"
      "smtpd_milters = " + postfix_endpoint(milter_listen) + "\n"
      "non_smtpd_milters = $smtpd_milters\n"
      "milter_protocol = 6\n"
      "# if domainauth is down, mail waits (4xx) instead of passing unsigned or unchecked\n"
      "milter_default_action = tempfail\n"
      "# domainauth: SPF check of MAIL FROM and HELO (policy service); keep it below\n"
      "# reject_unauth_destination so it never makes Postfix an open relay\n"
      "smtpd_recipient_restrictions =\n"
      "        permit_mynetworks,\n"
      "        permit_sasl_authenticated,\n"
      "        reject_unauth_destination,\n"
      "        check_policy_service " + postfix_endpoint(policy_listen) + "\n";
  lines.master_cf =
      "# Nothing to add while `domainauth serve --config " + std::string(config_path) +
      "` runs as its own service\n"
      "# (systemd unit or rc script): Postfix reaches it through the main.cf lines above.\n"
      "# Without the daemon's policy listener, Postfix can spawn the SPF policy service\n"
      "# itself instead (then use check_policy_service unix:private/domainauth-policy):\n"
      "#domainauth-policy unix -   n       n       -       0       spawn\n"
      "#  user=" + std::string(config::paths().daemon_user) + " argv=" + std::string(config::paths().program) +
      " policy --config " + std::string(config_path) + "\n";
  return lines;
}

}  // namespace domainauth::setup
