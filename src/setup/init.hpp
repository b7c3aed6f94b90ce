// `domainauth init`: everything a new installation needs, for each domain an
// RSA-2048 and an Ed25519 DKIM key (keys.hpp), a domainauth.toml that signs
// with both, the records to publish (SPF with the sending addresses, both DKIM
// keys, DMARC p=none with rua to the administrator, and the RFC 7489 7.1
// authorization when the report mailbox is in another domain; with
// request_reports the signatures ask for RFC 6651 failure reports, r=y, and the
// _report._domainkey record says where they go) in zone-file form, and the
// Postfix lines. Safe to run again: existing keys are reused,
// never overwritten; an existing domainauth.toml that differs is left alone and
// the new text goes to domainauth.toml.new. The keys (and their folders) are
// handed to the daemon's user, the configuration to its group, so a reload
// after the privilege drop can read them: daemon.user of the domainauth.toml
// already in the output folder (the package's names `domainauth`), which the
// new configuration names too, else the default. Writes files under the
// output folder.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "net/address.hpp"
#include "setup/records.hpp"

namespace domainauth::setup {

struct InitOptions {
  std::vector<std::string> domains;
  std::vector<net::IpAddress> ips;  // the sending addresses (SPF)
  std::string out_dir = ".";
  std::string admin;  // rua mailbox; empty: postmaster@<domain> per domain
  bool request_reports = false;  // sign.request_reports (r=y) and the _report._domainkey records
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

struct InitResult {
  std::string config_path;        // the file the configuration was written to
  bool config_unchanged = false;  // the existing file already had this text
  bool config_side_file = false;  // written to domainauth.toml.new (the existing one differs)
  std::vector<std::string> keys_created, keys_reused;  // key file paths
  std::string zone;               // every record, zone-file form
  std::string zone_path;
  PostfixLines postfix;
  std::string daemon_user;         // whom the keys and the configuration were handed to
  // Files daemon_user could not read, each with why (setup/config_file.hpp
  // hand_to_daemon_user), or why the existing configuration's daemon.user
  // could not be read; init still succeeded.
  std::vector<std::string> notes;
  std::string error;              // set when init failed
};

[[nodiscard]] InitResult run_init(const InitOptions& options);

// The configuration text init writes (exposed for tests).
struct InitKey {
  std::string domain, selector, key_file, algorithm;
};
// daemon_user is written as [daemon] user unless it is the default.
[[nodiscard]] std::string init_config_text(const std::vector<InitKey>& keys, bool request_reports,
                                           const std::string& daemon_user, std::string& error);

// Milter and policy listeners init configures.
inline constexpr const char* kInitMilterListen = "inet:127.0.0.1:8891";
inline constexpr const char* kInitPolicyListen = "inet:127.0.0.1:10023";

}  // namespace domainauth::setup
