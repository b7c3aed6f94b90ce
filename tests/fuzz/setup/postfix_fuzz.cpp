// libFuzzer target: the readers of postconf(1) output behind `check --postfix`
// and the check itself. The input is split at the first two NUL bytes into
// postconf -x output, -M output and -P output; whatever parses is checked
// against a fixed domainauth configuration. Nothing may crash or hang, and a
// parsed list item is never empty.
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
  const std::string_view parameters = next_part(rest), master = next_part(rest), overrides = rest;
  std::string error;
  setup::PostfixConfig config;
  auto parsed = setup::parse_postconf_parameters(parameters, error);
  auto services = setup::parse_postconf_services(master, overrides, error);
  if (parsed) config.parameters = std::move(*parsed);
  if (services) config.services = std::move(*services);
  for (const auto& [name, value] : config.parameters) {
    for (const auto& item : setup::split_postfix_list(value)) {
      if (item.empty()) std::abort();
      (void)setup::postfix_socket(setup::parse_postfix_endpoint(item).address, "/var/spool/postfix", !item.empty() && item.front() == 'u', error);
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
  return 0;
}
