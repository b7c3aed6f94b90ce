// DKIM key files as init and keys rotate keep them: <folder>/<selector>.private
// (PEM, mode 0600) and <folder>/<selector>.txt (the record in zone-file form).
// Selectors are named by date, yyyymmdd for RSA as opendkim-genkey users do
// (the seed's habit) and yyyymmdd-ed for Ed25519, so both keys of one day have
// their own name. Existing files are never overwritten. Reads PEM key files.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "dkim/crypto.hpp"

namespace domainauth::setup {

inline constexpr unsigned kRsaBits = 2048;

// "20250131" (UTC) for RSA, "20250131-ed" for Ed25519.
[[nodiscard]] std::string dated_selector(std::chrono::system_clock::time_point now, dkim::KeyType type);

// "rsa-sha256" / "ed25519-sha256": the algorithm a key signs with.
[[nodiscard]] std::string algorithm_name(dkim::KeyType type);

struct KeyFile {
  std::string selector;
  std::string path;  // <folder>/<selector>.private
  dkim::PrivateKey key;
};

// The keys already in folder (*.private that load), by selector.
[[nodiscard]] std::vector<KeyFile> existing_keys(const std::string& folder);

// Generates a key and writes <folder>/<selector>.private and .txt (the record
// for selector._domainkey.domain); fails, error set, when either file exists.
[[nodiscard]] std::optional<KeyFile> create_key(const std::string& folder, const std::string& domain,
                                                const std::string& selector, dkim::KeyType type, std::string& error);

// The zone-file line of a key's record.
[[nodiscard]] std::string key_zone_line(const std::string& domain, const std::string& selector,
                                        const dkim::PrivateKey& key);

// mkdir -p with the given mode for the folders it creates.
[[nodiscard]] bool make_folders(const std::string& path, unsigned mode, std::string& error);

}  // namespace domainauth::setup
