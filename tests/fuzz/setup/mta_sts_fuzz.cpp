// libFuzzer target: the MTA-STS record and policy parsers and the mx pattern
// match (setup/mta_sts.hpp). Nothing may crash or hang; a valid record has an id
// of 1 to 32 characters; a valid policy has a mode, a max_age within a year and
// (unless mode none) an mx pattern, and it never lists more than the limits.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "setup/mta_sts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth::setup;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)is_mta_sts_record(input);
  const MtaStsRecord record = parse_mta_sts_record(input);
  if (record.error.empty() && (record.id.empty() || record.id.size() > 32)) std::abort();
  const MtaStsPolicy policy = parse_mta_sts_policy(input);
  if (policy.errors.empty()) {
    if (!policy.mode || !policy.max_age || *policy.max_age > kMtaStsMaxAge) std::abort();
    if (policy.mx.empty() && *policy.mode != MtaStsMode::none) std::abort();
  }
  if (policy.mx.size() > kMaxMtaStsPatterns || policy.errors.size() > kMaxMtaStsPolicyErrors + 1) std::abort();
  const std::size_t cut = size / 2;
  (void)mta_sts_mx_matches(input.substr(0, cut), input.substr(cut));
  return 0;
}
