// DKIM key rotation steps and their state file (see rotate.hpp).
#include "setup/rotate.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "dkim/key_record.hpp"
#include "setup/config_file.hpp"
#include "setup/keys.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup {

namespace {
constexpr int kMaxSelectorSuffix = 9;  // 20250101-2 ... -9 on one day
}

std::string state_path(const std::string& config_path) { return config_path + ".rotation.json"; }

std::optional<RotationState> load_state(const std::string& path, std::string& error) {
  RotationState state;
  auto text = read_text_file(path);
  if (!text) return state;
  try {
    auto json = nlohmann::json::parse(*text);
    for (const auto& [domain, d] : json.at("domains").items()) {
      DomainRotation r;
      r.phase = d.at("phase").get<std::string>() == "switched" ? DomainRotation::Phase::switched
                                                                : DomainRotation::Phase::pending;
      r.started = d.at("started").get<std::int64_t>();
      r.switched = d.value("switched", std::int64_t{0});
      r.grace_days = d.value("grace_days", kDefaultGraceDays);
      for (const auto& k : d.at("keys")) {
        r.keys.push_back({k.at("algorithm"), k.at("old_selector"), k.at("old_key_file"), k.at("new_selector"),
                          k.at("new_key_file")});
      }
      state.domains[domain] = r;
    }
  } catch (const nlohmann::json::exception& e) {
    error = path + ": not a rotation state file: " + e.what();
    return std::nullopt;
  }
  return state;
}

bool save_state(const std::string& path, const RotationState& state, std::string& error) {
  nlohmann::json domains = nlohmann::json::object();
  for (const auto& [domain, r] : state.domains) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& k : r.keys) {
      keys.push_back({{"algorithm", k.algorithm}, {"old_selector", k.old_selector}, {"old_key_file", k.old_key_file},
                      {"new_selector", k.new_selector}, {"new_key_file", k.new_key_file}});
    }
    domains[domain] = {{"phase", r.phase == DomainRotation::Phase::switched ? "switched" : "pending"},
                       {"started", r.started}, {"switched", r.switched}, {"grace_days", r.grace_days},
                       {"keys", keys}};
  }
  if (state.domains.empty()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return true;
  }
  return write_atomically(path, nlohmann::json{{"domains", domains}}.dump(2) + "\n", 0600, error);
}

namespace {

std::optional<dkim::KeyType> type_of(const SignKeyEntry& entry, std::string& error) {
  if (entry.algorithm == "ed25519-sha256") return dkim::KeyType::ed25519;
  if (entry.algorithm == "rsa-sha256") return dkim::KeyType::rsa;
  auto key = dkim::PrivateKey::load_file(entry.key_file, true, &error);
  if (!key) return std::nullopt;
  return key->type();
}

}  // namespace

std::optional<DomainRotation> start_rotation(const std::string& config_text, const std::string& domain,
                                             std::chrono::system_clock::time_point now, std::string& error) {
  DomainRotation rotation;
  rotation.started = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  for (const auto& entry : find_sign_keys(config_text)) {
    if (!text::iequals(entry.domain, domain)) continue;
    if (entry.selector.empty() || entry.key_file.empty()) {
      error = "a [[sign.key]] entry of " + domain + " does not write selector and key_file as plain strings";
      return std::nullopt;
    }
    auto type = type_of(entry, error);
    if (!type) return std::nullopt;
    const std::string folder = std::filesystem::path(entry.key_file).parent_path().string();
    const std::string base = dated_selector(now, *type);
    std::string selector = base;
    for (int n = 2; n <= kMaxSelectorSuffix && (selector == entry.selector ||
                                                std::filesystem::exists(folder + "/" + selector + ".private"));
         ++n) {
      selector = base + "-" + std::to_string(n);
    }
    auto key = create_key(folder, domain, selector, *type, error);
    if (!key) return std::nullopt;
    rotation.keys.push_back({algorithm_name(*type), entry.selector, entry.key_file, selector, key->path});
  }
  if (rotation.keys.empty()) {
    error = "no [[sign.key]] entry for " + domain +
            " in the configuration (keys from an OpenDKIM KeyTable are rotated by editing the KeyTable)";
    return std::nullopt;
  }
  return rotation;
}

std::optional<std::string> switch_config(const std::string& config_text, const std::string& file_name,
                                         const std::string& domain, const DomainRotation& rotation,
                                         std::string& error) {
  std::string text = config_text;
  for (const auto& key : rotation.keys) {
    bool done = false;
    for (const auto& entry : find_sign_keys(text)) {
      if (!text::iequals(entry.domain, domain) || entry.selector != key.old_selector) continue;
      auto replaced = replace_sign_key(text, entry, key.new_selector, key.new_key_file);
      if (!replaced) break;
      text = *replaced;
      done = true;
      break;
    }
    if (!done) {
      error = "the [[sign.key]] entry " + key.old_selector + " of " + domain + " is gone or cannot be edited";
      return std::nullopt;
    }
  }
  auto loaded = config::load_string(text, file_name);
  if (!loaded.config) {
    error = "the switched configuration does not load: " + loaded.errors.front();
    return std::nullopt;
  }
  return text;
}

bool record_matches_key(const std::string& record_text, const dkim::PrivateKey& key) {
  auto published = dkim::parse_key_record(record_text);
  auto local = dkim::parse_key_record(key.key_record());
  return published.ok() && !published.record.revoked && published.record.type == key.type() &&
         published.record.public_key == local.record.public_key;
}

}  // namespace domainauth::setup
