// What several subcommands share (see common.hpp).
#include "cli/common.hpp"

#include <iostream>
#include <iterator>

#include "dns/config.hpp"

namespace domainauth::cli {

config::LoadResult load_config(const std::string& path, const std::string& dns_override) {
  auto result = path.empty() ? config::LoadResult{config::defaults(), {}} : config::load_file(path);
  if (result.config && !dns_override.empty()) {
    std::string error;
    if (!dns::parse_server(dns_override, error)) {
      result.errors.push_back("--dns " + dns_override + ": " + error);
      result.config.reset();
    } else {
      result.config->dns.servers = {dns_override};
    }
  }
  return result;
}

InputMessage read_message() { return read_message(std::cin); }

InputMessage read_message(std::istream& stream) {
  InputMessage in;
  in.raw.assign(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  mail::MessageSplitter splitter;
  in.body = splitter.feed(in.raw);
  splitter.finish();
  in.error = splitter.error();
  in.headers = splitter.take_headers();
  return in;
}

nlohmann::json spf_json(const spf::Outcome& o, const std::string& received_spf) {
  return {{"result", spf::to_string(o.result)},
          {"mechanism", o.mechanism},
          {"reason", o.reason},
          {"explanation", o.explanation},
          {"domain", o.domain},
          {"identity", spf::to_string(o.identity)},
          {"received_spf", received_spf}};
}

nlohmann::json dkim_json(const std::vector<dkim::SignatureResult>& results) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : results) {
    list.push_back({{"domain", r.domain}, {"selector", r.selector}, {"algorithm", r.algorithm},
                    {"result", dkim::to_string(r.result)}, {"reason", r.reason}, {"testing", r.testing},
                    {"dnssec", dns::to_string(r.key_dnssec)}});
  }
  return list;
}

std::string dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int fail(std::string_view command, const std::string& message, bool json, int code) {
  std::cerr << "domainauth " << command << ": " << message << "\n";
  if (json) std::cout << dump({{"ok", false}, {"error", message}}) << "\n";
  return code;
}

}  // namespace domainauth::cli
