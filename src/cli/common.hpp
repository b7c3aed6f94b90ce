// What several subcommands share: loading the configuration (file or embedded
// defaults, plus a --dns override), reading one message from standard input and
// the JSON of SPF and DKIM results (design.md CLI contract: `spf`, `dkim verify`
// and `verify` print the same objects). Reads untrusted input: the message.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dkim/verifier.hpp"
#include "mail/header.hpp"
#include "spf/spf.hpp"

namespace domainauth::cli {

// The configuration from path (embedded defaults when path is empty), with
// dns_override (when not empty) as the only DNS server. Errors, one per line.
[[nodiscard]] config::LoadResult load_config(const std::string& path, const std::string& dns_override);

struct InputMessage {
  std::string raw;
  std::vector<mail::HeaderField> headers;
  std::string_view body;  // into raw
  std::string error;      // set: the header block could not be read
};
// The whole of standard input (or of in), split into header fields and body.
[[nodiscard]] InputMessage read_message();
[[nodiscard]] InputMessage read_message(std::istream& in);

// {"result", "mechanism", "reason", "explanation", "domain", "identity", "received_spf"}
[[nodiscard]] nlohmann::json spf_json(const spf::Outcome& outcome, const std::string& received_spf);
// [{"domain", "selector", "algorithm", "result", "reason", "testing", "dnssec"}, ...]
[[nodiscard]] nlohmann::json dkim_json(const std::vector<dkim::SignatureResult>& results);

// Values from mail or DNS may not be UTF-8: replaced, never a throw.
[[nodiscard]] std::string dump(const nlohmann::json& json);

// A command that failed: "domainauth COMMAND: MESSAGE" on standard error and,
// with --json, {"ok": false, "error": MESSAGE} on standard output. Returns code.
int fail(std::string_view command, const std::string& message, bool json, int code);

}  // namespace domainauth::cli
