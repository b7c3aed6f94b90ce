// libFuzzer target: `domainauth migrate` on arbitrary opendkim.conf and
// opendmarc.conf text (the input is split in two at the first NUL). Whatever
// the files hold, values copied from them must be escaped so that the written
// domainauth.toml is valid TOML; nothing may crash.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string_view>
#include <toml.hpp>

#include "setup/migrate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find('\0');
  domainauth::setup::MigrateOptions options;
  options.opendkim_text = std::string(input.substr(0, split));
  if (split != std::string_view::npos) options.opendmarc_text = std::string(input.substr(split + 1));
  const auto migration = domainauth::setup::migrate(options);
  if (!migration.error.empty()) return 0;
  std::istringstream toml(migration.toml);
  try {
    (void)toml::parse(toml, "migrated.toml");
  } catch (const toml::exception&) {
    std::abort();
  }
  return 0;
}
