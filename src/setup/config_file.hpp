// Writing and editing domainauth.toml for init, keys rotate and migrate. Every
// key written is checked against the declared key table (config::keys()), so
// these commands cannot invent keys the loader would refuse; [[sign.key]]
// entries are edited in place as text, so the administrator's comments and
// layout survive a rotation. Files are replaced atomically (temporary file in
// the same folder, fsync, rename). Reads the configuration file.
#pragma once

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

}  // namespace domainauth::setup
