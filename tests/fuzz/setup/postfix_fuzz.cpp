// libFuzzer target: the readers of postconf(1) output behind `check --postfix`
// and the check itself. The input is split at the first three NUL bytes into
// postconf -x output, -M output, -P output and the text of every table file
// the domain lists name (postmap -s output, texthash, /file lists, postfix_tables.hpp);
// whatever parses is checked against a fixed domainauth configuration. Nothing
// may crash or hang, and a parsed list item or table key is never empty.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "setup/postfix_check.hpp"

namespace {

std::string_view next_part(std::string_view& rest) {
  const auto end = rest.find('\0');
  const std::string_view part = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view parameters = next_part(rest), master = next_part(rest), overrides = next_part(rest);
  const std::string_view table_text = rest;
  std::string error;
  setup::PostfixConfig config;
  auto parsed = setup::parse_postconf_parameters(parameters, error);
  auto services = setup::parse_postconf_services(master, overrides, error);
  if (parsed) config.parameters = std::move(*parsed);
  if (services) config.services = std::move(*services);
  for (const auto& [name, value] : config.parameters) {
    for (const auto& item : setup::split_postfix_list(value)) {
      if (item.empty()) std::abort();
      (void)setup::postfix_socket(setup::parse_postfix_endpoint(item).address, "/var/spool/postfix",
                                  item.front() == 'u', error);
      if (!setup::is_postfix_table(item)) continue;
      for (const auto& key : setup::classify_postfix_table(item).keys) {
        if (key.empty()) std::abort();
      }
    }
  }
  for (const auto& table : setup::postfix_tables_to_list(config)) {
    auto& listing = config.tables[table.name];
    listing.keys = table.kind == setup::PostfixTable::Kind::list_file ? setup::postfix_list_file_items(table_text)
                                                                       : setup::postfix_table_keys(table_text);
    for (const auto& key : listing.keys) {
      if (key.empty()) std::abort();
    }
  }
  setup::PostfixExpectations expect;
  expect.milter = {*net::ListenAddress::parse("inet:127.0.0.1:8891", error)};
  expect.policy = {*net::ListenAddress::parse("unix:/var/spool/postfix/private/policy", error)};
  expect.signing_domains = {"example.com"};
  expect.reachable = [](const net::ListenAddress&) { return false; };
  setup::Report report;
  setup::check_postfix(config, expect, report);
  (void)setup::postfix_outbound_addresses(config);
  (void)setup::postfix_mail_domains(config);
  return 0;
}
