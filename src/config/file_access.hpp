// Whether the daemon's user can read the files the configuration names. serve
// starts as root and drops to daemon.user after binding; a SIGHUP reload then
// reads the configuration, the OpenDKIM tables, the host lists and every key as
// that user, so a file only root can read makes the reload fail. These checks
// say so at `serve --check` and at start instead. Permission bits only (owner,
// group incl. supplementary groups, other; search permission on every folder
// above); ACLs and mandatory access control are not looked at: as root,
// configtest and serve ask the kernel as the user instead (daemon/read_as.hpp)
// and use these checks to explain a refusal. Reads the password and group
// databases and file metadata.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace domainauth::config {

// A user as the kernel checks file access for it.
struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;               // primary group
  std::vector<gid_t> groups;   // every group, the primary one included (getgrouplist)
};

// The account of a user name; nothing, error set ("no such user ..."), when
// there is none.
[[nodiscard]] std::optional<Account> find_account(const std::string& name, std::string& error);

// Why account cannot read path ("mode 0600, owner 0:0", "folder /x (mode 0700,
// owner 0:0) cannot be searched", or the OS error); nothing when it can.
[[nodiscard]] std::optional<std::string> unreadable_reason(const std::string& path, const Account& account);

// Why account cannot create files in folder (write and search permission
// on it, search on every folder above; a unix socket is made there); nothing
// when it can.
[[nodiscard]] std::optional<std::string> unwritable_folder_reason(const std::string& folder, const Account& account);

// Every file a load of this configuration reads, config_path first: the
// OpenDKIM KeyTable and SigningTable, host list files, key files, the ARC key
// and, in rfc7489_psl mode, the public suffix list.
[[nodiscard]] std::vector<std::string> files_read(const Config& config, const std::string& config_path);

// "FILE: not readable by user U (uid N): REASON; a reload after the privilege
// drop would fail".
[[nodiscard]] std::string unreadable_line(const std::string& file, const Account& account, const std::string& reason);

// One unreadable_line() per file of files_read() account cannot read, judged
// from the permission bits (unreadable_reason()).
[[nodiscard]] std::vector<std::string> unreadable_files(const Config& config, const std::string& config_path,
                                                        const Account& account);

}  // namespace domainauth::config
