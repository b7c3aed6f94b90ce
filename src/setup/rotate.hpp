// `domainauth keys rotate`: DKIM key rotation in three runs of one command.
//   1. start: a new key per [[sign.key]] entry of the domain (same algorithm,
//      selector named by date, beside the old key file); prints the records.
//   2. switch: once DNS serves every new record and it matches its key
//      (confirmed by the caller through dns::Resolver), the entries in
//      domainauth.toml are switched to the new selectors (atomic replace,
//      checked with the real config loader first).
//   3. retire: after the grace period (default 7 days), the old keys are
//      dropped from the rotation state and their records may be removed from
//      DNS; their files are deleted only when asked (--prune).
// Between the runs the state lives in <config>.rotation.json. The old key is
// kept there and on disk, not as a [[sign.key]] entry: an entry signs, so
// keeping it in the configuration would add a second signature to every
// message until the grace period ends (docs/architecture.md).
// Reads the configuration file, key files and the state file.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dkim/crypto.hpp"

namespace domainauth::setup {

inline constexpr int kDefaultGraceDays = 7;

struct RotatingKey {
  std::string algorithm;  // "rsa-sha256" / "ed25519-sha256"
  std::string old_selector, old_key_file;
  std::string new_selector, new_key_file;
};

struct DomainRotation {
  enum class Phase : std::uint8_t { pending, switched } phase = Phase::pending;
  std::int64_t started = 0;   // seconds since the epoch
  std::int64_t switched = 0;
  int grace_days = kDefaultGraceDays;
  std::vector<RotatingKey> keys;
};

struct RotationState {
  std::map<std::string, DomainRotation> domains;  // by lower-case domain
};

// "<config>.rotation.json".
[[nodiscard]] std::string state_path(const std::string& config_path);
// An absent file is an empty state; a broken one is an error.
[[nodiscard]] std::optional<RotationState> load_state(const std::string& path, std::string& error);
[[nodiscard]] bool save_state(const std::string& path, const RotationState& state, std::string& error);

// Step 1: makes the new keys for every [[sign.key]] entry of domain in the
// configuration text. error set when there is none or a key cannot be made.
[[nodiscard]] std::optional<DomainRotation> start_rotation(const std::string& config_text, const std::string& domain,
                                                           std::chrono::system_clock::time_point now,
                                                           std::string& error);

// Step 2: the configuration text with the entries switched to the new keys,
// checked by loading it with the real configuration loader (file_name labels
// errors). error set when an entry cannot be edited or the result does not load.
[[nodiscard]] std::optional<std::string> switch_config(const std::string& config_text, const std::string& file_name,
                                                       const std::string& domain, const DomainRotation& rotation,
                                                       std::string& error);

// Does the published key record text carry the public key of key?
[[nodiscard]] bool record_matches_key(const std::string& record_text, const dkim::PrivateKey& key);

}  // namespace domainauth::setup
