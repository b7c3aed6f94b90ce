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

// The files the migrated configuration points at (OpenDKIM KeyTable and
// SigningTable, host lists, the key files they name; config_path too unless
// "") that its daemon.user could not read, one warning line each as `serve
// --check` words it (config/file_access.hpp); migrate leaves OpenDKIM's files
// where and as they are, so a reload after the privilege drop would fail on
// them. One line saying why nothing could be checked when the configuration
// does not load or the user does not exist. Empty: all readable.
[[nodiscard]] std::vector<std::string> access_warnings(const Migration& migration, const std::string& config_path);

}  // namespace domainauth::setup
