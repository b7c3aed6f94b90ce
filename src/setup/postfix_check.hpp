// `domainauth check --postfix`: whether Postfix's configuration wires in
// domainauth and sends mail the way the large receivers require. Milters
// (smtpd_milters, non_smtpd_milters, per-service -o smtpd_milters of
// master.cf, milter_default_action, milter_protocol) and the policy service
// (check_policy_service after reject_unauth_destination) must name sockets
// domainauth listens on and that accept connections (a unix: path as each
// master.cf service reaches it, chrooted or not); every domain Postfix
// receives for, literal or listed in a lookup table, should have a signing
// key; smtp_tls_security_level at least may; smtp_bind_address /
// inet_protocols say which address mail leaves from.
// Findings go to a Report (section "postfix"), each naming its parameter.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/address.hpp"
#include "net/listen.hpp"
#include "setup/postfix_config.hpp"
#include "setup/postfix_tables.hpp"
#include "setup/report.hpp"

namespace domainauth::setup {

// What the domainauth configuration says, and a way to try a socket.
struct PostfixExpectations {
  std::vector<net::ListenAddress> milter;  // milter.listen
  std::vector<net::ListenAddress> policy;  // policy.listen
  std::vector<std::string> signing_domains;  // d= of every signing key, lower case
  bool subdomains = false;                   // sign.subdomains
  // True when something accepts a connection on the socket now.
  std::function<bool(const net::ListenAddress&)> reachable;
};

// The parameters check_postfix() reads (postconf -x prints them with defaults).
[[nodiscard]] const std::vector<std::string>& postfix_parameters_read();

void check_postfix(const PostfixConfig& config, const PostfixExpectations& expect, Report& report);

// The domains named in mydestination, virtual_alias_domains,
// virtual_mailbox_domains and relay_domains, directly or as keys of the tables
// listed in config.tables (not localhost), once each.
[[nodiscard]] std::vector<std::string> postfix_mail_domains(const PostfixConfig& config);

// The tables of those parameters whose keys the caller must list into
// config.tables (postmap -s, or reading the file), once each.
[[nodiscard]] std::vector<PostfixTable> postfix_tables_to_list(const PostfixConfig& config);

// Where mail leaves from, for the SPF and PTR checks: smtp_bind_address when
// inet_protocols sends over IPv4, smtp_bind_address6 when it sends over IPv6
// (each when it is one address of its family).
[[nodiscard]] std::vector<net::IpAddress> postfix_outbound_addresses(const PostfixConfig& config);

}  // namespace domainauth::setup
