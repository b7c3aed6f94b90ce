// libFuzzer target: TLSA judgement and matching against a certificate chain an
// MX presents (setup/dane.hpp). The input: usage, selector, matching type, one
// octet of association data length and the data, then certificates, each as a
// two-octet big-endian length and DER. Nothing may crash or hang; a record
// judged broken or a PKIX usage never matches, and a mismatch says why.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "setup/dane.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth;
  if (size < 4) return 0;
  dns::TlsaRecord record{data[0], data[1], data[2], {}};
  std::size_t at = 4;
  const std::size_t length = data[3];
  if (size - at < length) return 0;
  record.data.assign(data + at, data + at + length);
  at += length;
  std::vector<std::vector<std::uint8_t>> chain;
  while (size - at >= 2 && chain.size() < 8) {
    const std::size_t der = static_cast<std::size_t>(data[at]) << 8 | data[at + 1];
    at += 2;
    if (size - at < der) break;
    chain.emplace_back(data + at, data + at + der);
    at += der;
  }
  const setup::TlsaJudgement judgement = setup::judge_tlsa(record);
  (void)setup::describe_tlsa(record);
  const setup::TlsaMatch match = setup::match_tlsa(record, chain, "mail.example");
  if (match.matches && (judgement.use == setup::TlsaUse::broken || judgement.use == setup::TlsaUse::ignored)) {
    std::abort();
  }
  if (!match.matches && match.why.empty()) std::abort();
  return 0;
}
