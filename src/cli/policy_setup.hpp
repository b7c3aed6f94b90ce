// What `domainauth serve` and `domainauth policy` share: turning the
// configuration into the policy service's settings and limits.
#pragma once

#include <asio/any_io_executor.hpp>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "policy/connection.hpp"
#include "policy/service.hpp"

namespace domainauth::cli {

// Settings for the service; the resolver of previous is reused when the DNS
// configuration did not change. nullptr with error set when the resolver cannot be made.
[[nodiscard]] std::shared_ptr<const policy::Settings> make_settings(asio::any_io_executor executor,
                                                                    const config::Config& config,
                                                                    const config::Config* previous_config,
                                                                    const policy::Settings* previous,
                                                                    std::string& error);

[[nodiscard]] policy::Limits make_limits(const config::PolicySettings& settings);

}  // namespace domainauth::cli
