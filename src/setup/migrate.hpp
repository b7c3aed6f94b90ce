// `domainauth migrate`: domainauth.toml from an OpenDKIM (opendkim.conf(5)) and
// an OpenDMARC (opendmarc.conf(5)) configuration, as the seed setup writes them.
// Every setting is either mapped to a declared configuration key, recognised as
// domainauth's built-in behaviour, or listed as not migrated with the reason.
// The OpenDKIM tables (KeyTable, SigningTable with refile:, host lists) are kept
// and read as they are. Reads untrusted-ish input: the two files' text.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace domainauth::setup {

struct MigrateOptions {
  std::string opendkim_text, opendkim_name = "opendkim.conf";
  std::string opendmarc_text, opendmarc_name = "opendmarc.conf";  // empty text: none
  // Path prefixes to rewrite in file names (e.g. FreeBSD -> Debian folders): OLD, NEW.
  std::vector<std::pair<std::string, std::string>> path_map;
};

struct NotMigrated {
  std::string file, setting, value, why;
};

struct Migration {
  std::string toml;                   // the configuration, with the lists below as comments
  std::vector<std::string> mapped;    // "opendkim.conf: Mode sv -> built in (...)"
  std::vector<NotMigrated> not_migrated;
  std::string daemon_user;            // whom the configuration drops root to (UserID, else the default)
  std::string error;                  // set when a key could not be written (a bug)
};

[[nodiscard]] Migration migrate(const MigrateOptions& options);

}  // namespace domainauth::setup
