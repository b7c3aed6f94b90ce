// DKIM key files for init and keys rotate (see keys.hpp).
#include "setup/keys.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "setup/config_file.hpp"
#include "setup/records.hpp"

namespace domainauth::setup {

std::string dated_selector(std::chrono::system_clock::time_point now, dkim::KeyType type) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y%m%d", &tm);
  return std::string(buffer) + (type == dkim::KeyType::ed25519 ? "-ed" : "");
}

std::string algorithm_name(dkim::KeyType type) {
  return type == dkim::KeyType::rsa ? "rsa-sha256" : "ed25519-sha256";
}

std::vector<KeyFile> existing_keys(const std::string& folder) {
  std::vector<KeyFile> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.path().extension() != ".private") continue;
    std::string error;
    auto key = dkim::PrivateKey::load_file(entry.path().string(), false, &error);
    if (key) out.push_back({entry.path().stem().string(), entry.path().string(), *key});
  }
  std::sort(out.begin(), out.end(), [](const KeyFile& a, const KeyFile& b) { return a.selector < b.selector; });
  return out;
}

std::string key_zone_line(const std::string& domain, const std::string& selector, const dkim::PrivateKey& key) {
  return txt_zone_line(selector + "._domainkey." + domain, key.key_record());
}

std::optional<KeyFile> create_key(const std::string& folder, const std::string& domain, const std::string& selector,
                                  dkim::KeyType type, std::string& error) {
  const std::string path = folder + "/" + selector + ".private";
  const std::string txt = folder + "/" + selector + ".txt";
  if (std::filesystem::exists(path) || std::filesystem::exists(txt)) {
    error = path + " or " + txt + " exists already; keys are never overwritten";
    return std::nullopt;
  }
  auto key = dkim::PrivateKey::generate(type, kRsaBits, &error);
  if (!key) return std::nullopt;
  if (!write_new_file(path, key->to_pem(), 0600, error)) return std::nullopt;
  if (!write_new_file(txt, key_zone_line(domain, selector, *key), 0644, error)) return std::nullopt;
  return KeyFile{selector, path, *key};
}

bool make_folders(const std::string& path, unsigned mode, std::string& error) {
  std::string partial;
  for (std::size_t pos = 0; pos != std::string::npos;) {
    auto slash = path.find('/', pos + 1);
    partial = path.substr(0, slash);
    pos = slash;
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      error = partial + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

}  // namespace domainauth::setup
