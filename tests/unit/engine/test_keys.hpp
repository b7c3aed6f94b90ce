// Test helper: a temporary folder of DKIM private keys (Ed25519, quick to make,
// mode 0600) and the [sign] configuration text that names them.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dkim/crypto.hpp"
#include "support/temp_dir.hpp"

namespace domainauth::engine::testing {

class KeyFolder {
 public:
  // The PEM file of the key called name (made on first use).
  std::string key(const std::string& name) {
    auto it = keys_.find(name);
    if (it == keys_.end()) {
      std::string error;
      auto made = dkim::PrivateKey::generate(dkim::KeyType::ed25519, 0, &error);
      const std::string path = dir_.write(name + ".private", made->to_pem());
      it = keys_.emplace(name, std::make_pair(path, made->key_record())).first;
    }
    return it->second.first;
  }
  // Its DNS key record ("v=DKIM1; k=ed25519; p=...").
  std::string record(const std::string& name) {
    (void)key(name);
    return keys_.at(name).second;
  }

  // [sign] with extra lines, the OpenDKIM tables (when given) and one
  // [[sign.key]] per (domain, selector), keyed "domain-selector".
  std::string config(const std::vector<std::pair<std::string, std::string>>& native, const std::string& extra = "",
                     const std::string& keytable = "", const std::string& signingtable = "") {
    std::string out = "[sign]\n" + extra;
    if (!keytable.empty()) {
      out += "keytable = \"" + write("KeyTable", keytable) + "\"\n";
      out += "signingtable = \"refile:" + write("SigningTable", signingtable) + "\"\n";
    }
    for (const auto& [domain, selector] : native) {
      out += "[[sign.key]]\ndomain = \"" + domain + "\"\nselector = \"" + selector + "\"\nkey_file = \"" +
             key(domain + "-" + selector) + "\"\n";
    }
    return out;
  }

 private:
  std::string write(const std::string& name, const std::string& text) { return dir_.write(name, text); }

  domainauth::testing::TempDir dir_;
  std::map<std::string, std::pair<std::string, std::string>> keys_;  // name -> (file, record)
};

}  // namespace domainauth::engine::testing
