// Whether daemon.user can read the configuration's files (see file_access.hpp).
#include "config/file_access.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "dmarc/psl.hpp"

namespace domainauth::config {
namespace {

constexpr unsigned kRead = 4;
constexpr unsigned kWrite = 2;
constexpr unsigned kSearch = 1;
// getgrouplist() is asked again with a larger buffer up to this many groups.
constexpr int kMaxGroups = 65536;

std::string user_name(uid_t uid) {
  std::array<char, 4096> buffer{};
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) return found->pw_name;
  return std::to_string(uid);
}

std::string group_name(gid_t gid) {
  std::array<char, 4096> buffer{};
  group entry{};
  group* found = nullptr;
  if (::getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) return found->gr_name;
  return std::to_string(gid);
}

// "mode 0600, owner root:root".
std::string describe(const struct stat& st) {
  std::array<char, 8> mode{};
  std::snprintf(mode.data(), mode.size(), "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return "mode " + std::string(mode.data()) + ", owner " + user_name(st.st_uid) + ":" + group_name(st.st_gid);
}

// The rwx bits (r = 4, x = 1) that apply to account, as the kernel picks them:
// owner, else group (any of its groups), else other. Root passes any check.
unsigned bits_for(const struct stat& st, const Account& account) {
  if (account.uid == 0) return 7;
  if (st.st_uid == account.uid) return (st.st_mode >> 6) & 7;
  if (std::find(account.groups.begin(), account.groups.end(), st.st_gid) != account.groups.end()) {
    return (st.st_mode >> 3) & 7;
  }
  return st.st_mode & 7;
}

// The reason for one absolute, normalized path (symbolic links followed by stat).
// need: the bits account must have on path itself.
std::optional<std::string> reason_for(const std::filesystem::path& path, const Account& account, unsigned need) {
  struct stat st {};
  std::filesystem::path folder;
  for (auto it = path.begin(); it != path.end() && std::next(it) != path.end(); ++it) {
    folder /= *it;
    if (::stat(folder.c_str(), &st) != 0) return "folder " + folder.string() + ": " + std::strerror(errno);
    if ((bits_for(st, account) & kSearch) == 0) {
      return "folder " + folder.string() + " (" + describe(st) + ") cannot be searched";
    }
  }
  if (::stat(path.c_str(), &st) != 0) return std::string(std::strerror(errno));
  if ((bits_for(st, account) & need) != need) return describe(st);
  return std::nullopt;
}

void add(std::vector<std::string>& files, const std::string& path) {
  if (!path.empty() && std::find(files.begin(), files.end(), path) == files.end()) files.push_back(path);
}

}  // namespace

std::optional<Account> find_account(const std::string& name, std::string& error) {
  std::array<char, 4096> buffer{};
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    error = "no such user \"" + name + "\"";
    return std::nullopt;
  }
  Account account{found->pw_name, found->pw_uid, found->pw_gid, {}};
  int count = 32;
  while (count <= kMaxGroups) {
    account.groups.resize(static_cast<std::size_t>(count));
    int wanted = count;
    if (::getgrouplist(found->pw_name, found->pw_gid, account.groups.data(), &wanted) >= 0) {
      account.groups.resize(static_cast<std::size_t>(wanted));
      return account;
    }
    count = std::max(wanted, count * 2);
  }
  account.groups = {found->pw_gid};  // beyond kMaxGroups: the primary group only
  return account;
}

namespace {

std::optional<std::string> reason_with_links(const std::string& path, const Account& account, unsigned need) {
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec).lexically_normal();
  if (auto reason = reason_for(absolute, account, need)) return reason;
  // A symbolic link: the folders of the file it leads to must be searchable too.
  const auto real = std::filesystem::canonical(absolute, ec);
  if (!ec && real != absolute) return reason_for(real, account, need);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> unreadable_reason(const std::string& path, const Account& account) {
  return reason_with_links(path, account, kRead);
}

std::optional<std::string> unwritable_folder_reason(const std::string& folder, const Account& account) {
  return reason_with_links(folder, account, kWrite | kSearch);
}

std::vector<std::string> files_read(const Config& config, const std::string& config_path) {
  std::vector<std::string> files;
  add(files, config_path);
  bool refile = false;
  const auto& sign = config.sign;
  if (!sign.keytable.empty()) add(files, table_file_path(sign.keytable, &refile));
  if (!sign.signingtable.empty()) add(files, table_file_path(sign.signingtable, &refile));
  for (const auto* spec : {&sign.internal_hosts_spec, &sign.external_ignore_spec}) {
    for (const auto& item : *spec) {
      if (is_table_file_spec(item)) add(files, table_file_path(item, &refile));
    }
  }
  for (const auto& key : sign.native) add(files, key.key_file);
  for (const auto& key : sign.tables.keys) add(files, key.key_path);
  if (config.arc.seal) add(files, config.arc.key_file);
  if (config.dmarc.mode == dmarc::OrgDomainMode::rfc7489_psl) {
    add(files, config.dmarc.psl_file.empty() ? std::string(dmarc::kSystemPublicSuffixList) : config.dmarc.psl_file);
  }
  return files;
}

std::string unreadable_line(const std::string& file, const Account& account, const std::string& reason) {
  return file + ": not readable by user " + account.name + " (uid " + std::to_string(account.uid) + "): " + reason +
         "; a reload after the privilege drop would fail";
}

std::vector<std::string> unreadable_files(const Config& config, const std::string& config_path,
                                          const Account& account) {
  std::vector<std::string> lines;
  for (const auto& file : files_read(config, config_path)) {
    if (auto reason = unreadable_reason(file, account)) lines.push_back(unreadable_line(file, account, *reason));
  }
  return lines;
}

}  // namespace domainauth::config
