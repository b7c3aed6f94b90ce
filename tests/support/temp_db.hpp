// Test helper: a history file in the temporary directory, removed (with its
// SQLite WAL files) before and after the test.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace domainauth::store::testing {

class TempDb {
 public:
  explicit TempDb(const std::string& name)
      : path_((std::filesystem::temp_directory_path() /
               ("domainauth-store-" + name + "-" + std::to_string(::getpid()) + ".sqlite"))
                  .string()) {
    remove();
  }
  ~TempDb() { remove(); }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;
  operator const std::string&() const { return path_; }  // NOLINT(google-explicit-constructor)

 private:
  void remove() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_;
};

}  // namespace domainauth::store::testing
