// The check `domainauth verify` runs on a stored message (engine::
// check_stored_message with the configuration's settings), shared with
// `domainauth check --message`, which judges a sample message by it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cli/common.hpp"
#include "engine/message_check.hpp"

namespace domainauth::cli {

struct VerifyRequest {
  std::string ip, helo, sender, config_path, dns;
};

struct StoredVerification {
  engine::Conclusion conclusion;
  std::string authentication_results;  // the field value the daemon would add, on one line
  // {"dkim", "dmarc", "arc", "authentication_results", "spf" (when checked)}
  nlohmann::json json;
};

// Runs the check. status: kExitOk, kExitUsage or kExitEnvironment (then the
// reason is on stderr, after "domainauth COMMAND: ", and nothing is returned).
[[nodiscard]] std::optional<StoredVerification> verify_stored(const VerifyRequest& request, const InputMessage& message,
                                                              std::string_view command, int& status);

}  // namespace domainauth::cli
