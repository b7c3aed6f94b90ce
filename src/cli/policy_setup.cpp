// Configuration -> policy service settings, for serve.cpp and policy.cpp.
#include "cli/policy_setup.hpp"

#include "dns/config.hpp"

namespace domainauth::cli {

std::shared_ptr<const policy::Settings> make_settings(asio::any_io_executor executor, const config::Config& config,
                                                      const config::Config* previous_config,
                                                      const policy::Settings* previous, std::string& error) {
  auto settings = std::make_shared<policy::Settings>();
  settings->spf = config.spf;
  if (previous != nullptr && previous_config != nullptr && previous_config->dns == config.dns) {
    settings->resolver = previous->resolver;
    return settings;
  }
  dns::ResolverConfig resolver_config;
  resolver_config.servers = config.dns.servers;
  resolver_config.timeout = config.dns.timeout;
  auto resolver = dns::make_resolver(std::move(executor), resolver_config, error);
  if (!resolver) return nullptr;
  settings->resolver = std::move(resolver);
  return settings;
}

policy::Limits make_limits(const config::PolicySettings& settings) {
  return policy::Limits{settings.idle_timeout, settings.request_timeout, settings.max_connections};
}

}  // namespace domainauth::cli
