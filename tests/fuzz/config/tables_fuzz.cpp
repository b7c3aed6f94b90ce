// libFuzzer target: the OpenDKIM table readers (KeyTable, SigningTable plain
// and refile:, host lists) on arbitrary file text; the first byte picks the
// reader. A table that parses has well-formed entries, an error says where.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/opendkim_tables.hpp"

namespace {

void check_error(bool parsed, const std::string& error) {
  if (parsed != error.empty()) std::abort();
  if (!parsed && error.rfind("fuzz:", 0) != 0) std::abort();  // "file:line: what"
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace domainauth::config;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string error;
  switch (data[0] % 3) {
    case 0: {
      const auto table = parse_key_table(text, "fuzz", error);
      check_error(table.has_value(), error);
      if (table) {
        for (const auto& entry : *table) {
          if (entry.name.empty() || entry.domain.empty() || entry.selector.empty()) std::abort();
        }
      }
      break;
    }
    case 1: {
      const auto table = parse_signing_table(text, "fuzz", error);
      check_error(table.has_value(), error);
      if (table) {
        for (const auto& entry : *table) {
          if (entry.pattern.empty() || entry.key_name.empty()) std::abort();
        }
      }
      break;
    }
    default: {
      const auto list = parse_host_list(text, "fuzz", error);
      check_error(list.has_value(), error);
      break;
    }
  }
  return 0;
}
