// Writing and editing domainauth.toml for init, keys rotate and migrate. Every
// key written is checked against the declared key table (config::keys()), so
// these commands cannot invent keys the loader would refuse; [[sign.key]]
// entries are edited in place as text, so the administrator's comments and
// layout survive a rotation. Files are replaced atomically (temporary file in
// the same folder, fsync, rename) and handed to daemon.user to read. Reads the
// configuration file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::setup {

// TOML text built key by key. A key not in config::keys() is a programming
// error reported through ok()/error(), never written.
class ConfigText {
 public:
  void comment(std::string_view text);  // "# text" (each line)
  void blank();
  void table(std::string_view name);    // "[name]"
  void set(std::string_view key, std::string_view value);  // string
  void set(std::string_view key, bool value);
  void set(std::string_view key, long long value);
  void set(std::string_view key, const std::vector<std::string>& values);
  // One [[sign.key]] entry.
  void sign_key(std::string_view domain, std::string_view selector, std::string_view key_file,
                std::string_view algorithm);

  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  bool declared(std::string_view key);
  std::string table_;
  std::string text_;
  std::string error_;
};

// TOML basic string: "..." with escapes.
[[nodiscard]] std::string toml_string(std::string_view value);

// A [[sign.key]] entry found in the text of a configuration file.
struct SignKeyEntry {
  std::size_t first_line = 0;  // the [[sign.key]] header (0-based)
  std::size_t end_line = 0;    // one past its last line
  std::string domain, selector, key_file, algorithm;
};
[[nodiscard]] std::vector<SignKeyEntry> find_sign_keys(std::string_view text);

// The text with the entry's selector and key_file values replaced; nothing when
// the entry does not write them as plain `name = "value"` lines.
[[nodiscard]] std::optional<std::string> replace_sign_key(std::string_view text, const SignKeyEntry& entry,
                                                          std::string_view selector, std::string_view key_file);

// Writes text to path atomically with the given mode; error set on failure.
[[nodiscard]] bool write_atomically(const std::string& path, std::string_view text, unsigned mode, std::string& error);
// Creates a new file; fails (error set) when it exists. Never overwrites.
[[nodiscard]] bool write_new_file(const std::string& path, std::string_view text, unsigned mode, std::string& error);
[[nodiscard]] std::optional<std::string> read_text_file(const std::string& path);

// How daemon.user (whom `serve` becomes after binding as root) gets to read a
// file init, keys rotate or migrate wrote, so that a SIGHUP reload can read it:
// key files (and key folders) become the user's, mode kept (0600 / 0700), as
// Debian's OpenDKIM keeps /etc/dkimkeys (opendkim:opendkim, keys 0600); a
// configuration file keeps its owner and mode (0640) and gets the user's
// primary group.
enum class Reader : std::uint8_t { owner, group };
// Changes path's owner or group for user as reader says. "" when done (or user
// is empty); otherwise one line naming the file, the user and why not (no such
// user; the chown refused when not run as root), never an exception. Whether
// the user can then read it is the caller's check (cli/read_access.hpp opens
// it as the user).
[[nodiscard]] std::string hand_to_daemon_user(const std::string& path, const std::string& user, Reader reader);

}  // namespace domainauth::setup
