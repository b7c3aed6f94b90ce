// OpenDKIM's tables read as they are, so domainauth can take over an OpenDKIM
// setup: KeyTable ("name domain:selector:/path/to/key"), SigningTable (plain, or
// "refile:" with "*" wildcard patterns such as "*@example.com"), and the host
// lists InternalHosts / ExternalIgnoreList / TrustedHosts (IP addresses, CIDR
// networks, host names, "!" to exclude). Errors name file:line. Reads untrusted
// input: configuration files.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.hpp"

namespace domainauth::config {

struct KeyTableEntry {
  std::string name;      // what SigningTable refers to
  std::string domain;    // d=
  std::string selector;  // s=
  std::string key_path;  // PEM private key file
};

struct SigningTableEntry {
  std::string pattern;   // address, domain, or (refile) wildcard pattern
  std::string key_name;  // a KeyTable name
};

struct OpendkimTables {
  std::vector<KeyTableEntry> keys;
  std::vector<SigningTableEntry> signing;
  bool refile = false;                // SigningTable given as refile:
  // OpenDKIM's SubDomains: parent domains of the From domain are tried as
  // entries too. OpenDKIM applies it to its Domain list only, never to a
  // SigningTable, so only the table of [[sign.key]] entries sets it.
  bool subdomains = false;
  bool multiple_signatures = false;   // MultipleSignatures yes

  // The keys to sign a message with, chosen by its From address as OpenDKIM's
  // dkimf_apply_signtable does: a refile: table by its patterns in file order
  // (anchored wildcards: *@example.com is not sub.example.com); another table by
  // the keys user@host, host, then user@.parent and .parent for each parent
  // (leading dot, as written in such tables), then user@* and *.
  [[nodiscard]] std::vector<KeyTableEntry> keys_for(std::string_view from_address) const;
};

class HostList {
 public:
  [[nodiscard]] bool contains(const net::IpAddress& ip) const;
  [[nodiscard]] bool contains_host(std::string_view name) const;  // case-insensitive, exact

  void add(bool negated, net::Network network) { (negated ? excluded_ : networks_).push_back(network); }
  void add_host(bool negated, std::string name) { (negated ? excluded_hosts_ : hosts_).push_back(std::move(name)); }

 private:
  std::vector<net::Network> networks_, excluded_;
  std::vector<std::string> hosts_, excluded_hosts_;
};

// "file:line: what" on error. name is the file name used in messages.
[[nodiscard]] std::optional<std::vector<KeyTableEntry>> parse_key_table(std::string_view text, std::string_view name,
                                                                       std::string& error);
[[nodiscard]] std::optional<std::vector<SigningTableEntry>> parse_signing_table(std::string_view text,
                                                                               std::string_view name,
                                                                               std::string& error);
[[nodiscard]] std::optional<HostList> parse_host_list(std::string_view text, std::string_view name, std::string& error);

// True when a host list item names a file ("/path", "file:/path", "refile:/path")
// rather than an address, network or host name.
[[nodiscard]] bool is_table_file_spec(std::string_view item);
// The file a table spec names: "refile:" / "file:" prefixes stripped; *refile
// tells whether it was refile:.
[[nodiscard]] std::string table_file_path(std::string_view spec, bool* refile);

// Reads a table file; "refile:" / "file:" prefixes (as opendkim.conf writes
// them) are accepted and stripped; *refile tells which one it was.
[[nodiscard]] std::optional<std::string> read_table_file(std::string_view spec, std::string* path, bool* refile,
                                                         std::string& error);

}  // namespace domainauth::config
