// libFuzzer target: a received failure report mail (report/ingest_mail.hpp's
// walk, report/ingest_failure.hpp's reader) and the input as an RFC 5322 date
// (mail/date.hpp). Properties: no crash; a stored report has a key, a domain
// and every value within kMaxFieldValue octets and valid UTF-8; a refusal says why.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/date.hpp"
#include "report/ingest_failure.hpp"
#include "text/utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)mail::parse_date(input.substr(0, 200));
  const auto found = report::documents_from_mail(input);
  for (const auto& feedback : found.feedback) {
    const auto parsed = report::parse_failure(feedback, 1796691009);
    if (!parsed.report) {
      if (parsed.error.empty()) __builtin_trap();
      continue;
    }
    const auto& r = *parsed.report;
    if (r.key.empty() || r.reported_domain.empty()) __builtin_trap();
    for (const auto* value : {&r.reporter, &r.auth_failure, &r.source_ip, &r.original_mail_from, &r.original_rcpt_to,
                              &r.authentication_results, &r.dkim_domain, &r.dkim_selector, &r.spf_dns,
                              &r.delivery_result, &r.reporting_mta, &r.header_from, &r.subject, &r.message_id,
                              &r.date, &r.arrival_date}) {
      if (value->size() > report::kMaxFieldValue || !text::is_utf8(*value)) __builtin_trap();
    }
  }
  return 0;
}
