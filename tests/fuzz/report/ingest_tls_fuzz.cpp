// libFuzzer target: a received SMTP TLS report (report/ingest_tls.hpp) and
// the input as an RFC 3339 date-time (mail/date.hpp). Properties: no crash; a
// report has an organization, an id, at least one policy, counts and details
// within the limits and strings within max_string; a refusal says why.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/date.hpp"
#include "report/ingest_tls.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)mail::parse_rfc3339(input.substr(0, 64));
  report::TlsLimits limits;
  limits.max_policies = 8;
  limits.max_failures = 16;
  const auto parsed = report::parse_tls(input, 1796691009, limits);
  if (!parsed.report) {
    if (parsed.error.empty()) __builtin_trap();
    return 0;
  }
  const auto& r = *parsed.report;
  if (r.org_name.empty() || r.report_id.empty() || r.policies.empty() || r.policies.size() > limits.max_policies ||
      r.end < r.begin || r.org_name.size() > limits.max_string) {
    __builtin_trap();
  }
  std::size_t details = 0;
  for (const auto& p : r.policies) {
    if (p.successful > limits.max_sessions || p.failed > limits.max_sessions || p.policy_string.size() > limits.max_string) {
      __builtin_trap();
    }
    details += p.failures.size();
    for (const auto& f : p.failures) {
      if (f.sessions > limits.max_sessions || f.result_type.empty()) __builtin_trap();
    }
  }
  if (details > limits.max_failures) __builtin_trap();
  return 0;
}
