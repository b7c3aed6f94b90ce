// The check that `domainauth check` runs, shared with `domainauth explain`,
// which checks the sender's domain named in a bounce.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "setup/report.hpp"

namespace domainauth::cli {

struct CheckRequest {
  std::string domain, helo, config, dns, trust_anchor;
  std::vector<std::string> ips;  // sending addresses (--ip, repeatable; or Postfix's bind addresses)
  std::vector<std::string> selectors;
  std::string ca_file;  // CA certificates for the HTTPS fetches (private CAs, tests); empty: the system's
  bool probe = false;   // connect to the MX hosts with TLSA records (DANE)
};

// Runs the check. status: kExitOk, kExitFindings (errors found), kExitUsage
// (bad arguments or configuration, message on stderr) or kExitEnvironment (no
// usable DNS). The report is empty only for usage and resolver errors.
[[nodiscard]] std::optional<setup::Report> run_domain_check(const CheckRequest& request, int& status);

}  // namespace domainauth::cli
