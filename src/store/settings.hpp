// The [store] settings (declared in config/store_keys.cpp): where the DMARC
// history lives. Header-only so that config/ can hold them without linking
// the database libraries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace domainauth::store {

inline constexpr std::int64_t kMaxRetentionDays = 36500;

enum class Backend : std::uint8_t { none, sqlite, postgresql };

struct Settings {
  Backend backend = Backend::sqlite;
  std::string sqlite_path;  // a file in the state directory
  std::string postgresql;   // libpq conninfo ("host=... dbname=... user=...")
  std::size_t queue_limit = 10000;
  std::int64_t retention_days = 180;  // whole UTC days kept before today's; 0: keep everything
};

}  // namespace domainauth::store
