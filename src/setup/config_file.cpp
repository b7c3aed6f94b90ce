// domainauth.toml writing and [[sign.key]] editing (see config_file.hpp).
#include "setup/config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/config.hpp"
#include "config/file_access.hpp"
#include "text/ascii.hpp"
#include "text/utf8.hpp"

namespace domainauth::setup {

std::string toml_string(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (text::is_control(c)) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

bool ConfigText::declared(std::string_view key) {
  const std::string name = table_.empty() ? std::string(key) : table_ + "." + std::string(key);
  for (const auto& info : config::keys()) {
    if (info.name == name) return true;
  }
  if (error_.empty()) error_ = "no configuration key " + name;
  return false;
}

namespace {

// A comment line as TOML allows it (UTF-8, no control characters but tab):
// other bytes are shown as \xNN.
std::string comment_text(std::string_view line) {
  std::string out;
  for (std::size_t i = 0; i < line.size();) {
    const auto byte = static_cast<unsigned char>(line[i]);
    const std::size_t length = text::utf8_sequence(line, i);
    if (length == 0 || (text::is_control(line[i]) && line[i] != '\t')) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(byte));
      out += buffer;
      ++i;
    } else {
      out.append(line.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace

void ConfigText::comment(std::string_view text) {
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) text_ += line.empty() ? "#\n" : "# " + comment_text(line) + "\n";
}

void ConfigText::blank() { text_ += "\n"; }

void ConfigText::table(std::string_view name) {
  table_ = name;
  text_ += "[" + table_ + "]\n";
}

void ConfigText::set(std::string_view key, std::string_view value) {
  if (declared(key)) text_ += std::string(key) + " = " + toml_string(value) + "\n";
}

void ConfigText::set(std::string_view key, bool value) {
  if (declared(key)) text_ += std::string(key) + " = " + (value ? "true" : "false") + "\n";
}

void ConfigText::set(std::string_view key, long long value) {
  if (declared(key)) text_ += std::string(key) + " = " + std::to_string(value) + "\n";
}

void ConfigText::set(std::string_view key, const std::vector<std::string>& values) {
  if (!declared(key)) return;
  text_ += std::string(key) + " = [";
  for (std::size_t i = 0; i < values.size(); ++i) text_ += (i ? ", " : "") + toml_string(values[i]);
  text_ += "]\n";
}

void ConfigText::sign_key(std::string_view domain, std::string_view selector, std::string_view key_file,
                          std::string_view algorithm) {
  table_.clear();
  if (!declared("sign.key")) return;
  text_ += "[[sign.key]]\ndomain = " + toml_string(domain) + "\nselector = " + toml_string(selector) +
           "\nkey_file = " + toml_string(key_file) + "\n";
  if (!algorithm.empty()) text_ += "algorithm = " + toml_string(algorithm) + "\n";
  table_ = "sign.key";
}

namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

bool is_header(std::string_view line) {
  auto t = text::trim_wsp(line);
  return !t.empty() && t.front() == '[';
}

bool is_sign_key_header(std::string_view line) {
  std::string compact;
  for (char c : line) {
    if (c != ' ' && c != '\t') compact += c;
  }
  return compact.rfind("[[sign.key]]", 0) == 0;
}

// `name = "value"` (a basic string without escapes, as init writes); nullopt otherwise.
std::optional<std::pair<std::string, std::string>> plain_assignment(std::string_view line) {
  auto eq = line.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  auto name = text::trim_wsp(line.substr(0, eq));
  auto value = text::trim_wsp(line.substr(eq + 1));
  if (value.size() < 2 || value.front() != '"') return std::nullopt;
  auto close = value.find('"', 1);
  if (close == std::string_view::npos || value.substr(1, close - 1).find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  auto rest = text::trim_wsp(value.substr(close + 1));
  if (!rest.empty() && rest.front() != '#') return std::nullopt;
  return std::pair{std::string(name), std::string(value.substr(1, close - 1))};
}

}  // namespace

std::vector<SignKeyEntry> find_sign_keys(std::string_view text) {
  auto lines = split_lines(text);
  std::vector<SignKeyEntry> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!is_sign_key_header(lines[i])) continue;
    SignKeyEntry entry;
    entry.first_line = i;
    std::size_t j = i + 1;
    for (; j < lines.size() && !is_header(lines[j]); ++j) {
      auto kv = plain_assignment(lines[j]);
      if (!kv) continue;
      if (kv->first == "domain") entry.domain = kv->second;
      else if (kv->first == "selector") entry.selector = kv->second;
      else if (kv->first == "key_file") entry.key_file = kv->second;
      else if (kv->first == "algorithm") entry.algorithm = kv->second;
    }
    entry.end_line = j;
    out.push_back(entry);
    i = j - 1;
  }
  return out;
}

std::optional<std::string> replace_sign_key(std::string_view text, const SignKeyEntry& entry,
                                            std::string_view selector, std::string_view key_file) {
  auto lines = split_lines(text);
  bool selector_done = false, key_done = false;
  for (std::size_t i = entry.first_line + 1; i < entry.end_line && i < lines.size(); ++i) {
    auto kv = plain_assignment(lines[i]);
    if (!kv) continue;
    if (kv->first == "selector") {
      lines[i] = "selector = " + toml_string(selector);
      selector_done = true;
    } else if (kv->first == "key_file") {
      lines[i] = "key_file = " + toml_string(key_file);
      key_done = true;
    }
  }
  if (!selector_done || !key_done) return std::nullopt;
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

bool write_atomically(const std::string& path, std::string_view text, unsigned mode, std::string& error) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, static_cast<mode_t>(mode));
  if (fd < 0) {
    error = temp + ": " + std::strerror(errno);
    return false;
  }
  bool ok = ::fchmod(fd, static_cast<mode_t>(mode)) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    error = path + ": " + std::strerror(errno);
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

bool write_new_file(const std::string& path, std::string_view text, unsigned mode, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, static_cast<mode_t>(mode));
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = ::fchmod(fd, static_cast<mode_t>(mode)) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (::close(fd) != 0 || !ok) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string hand_to_daemon_user(const std::string& path, const std::string& user, Reader reader) {
  if (user.empty()) return {};
  std::string why;
  const auto account = config::find_account(user, why);
  if (!account) {
    return path + ": daemon.user " + user + " does not exist (" + why + "); create it (useradd -r " + user +
           ") or set daemon.user, then let it read this file";
  }
  const uid_t owner = reader == Reader::owner ? account->uid : static_cast<uid_t>(-1);
  if (account->uid == 0 || ::chown(path.c_str(), owner, account->gid) == 0) return {};
  return path + ": cannot change its " + std::string(reader == Reader::owner ? "owner" : "group") + " to user " +
         user + "'s: " + std::strerror(errno) + " (run as root, or: chown " + (reader == Reader::owner ? user : "") +
         ":" + std::to_string(account->gid) + " " + path + ")";
}

}  // namespace domainauth::setup
