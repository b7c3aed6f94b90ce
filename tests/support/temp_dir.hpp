// Test helper: a private temporary directory (removed afterwards) to write
// configuration files and private keys into, with the file mode given.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "dkim/crypto.hpp"

namespace domainauth::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "domainauth-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    ::chmod(file.c_str(), mode);
    return file;
  }
  // A new PEM private key (RSA keys of 1024 bits, which keeps the tests quick).
  std::string key(const std::string& name, mode_t mode = 0600, dkim::KeyType type = dkim::KeyType::ed25519) const {
    std::string error;
    return write(name, dkim::PrivateKey::generate(type, 1024, &error)->to_pem(), mode);
  }

 private:
  std::string path_;
};

}  // namespace domainauth::testing
