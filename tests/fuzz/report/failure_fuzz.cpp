// libFuzzer target: a failure report (RFC 6591 / RFC 9991) written from an
// arbitrary header block, identifiers and body, redacted and not (RFC 6590).
// Properties: no crash; every line of the redacted report's feedback and header
// parts ends in CRLF and no generated field is split by bytes from the mail.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "report/failure.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  domainauth::report::ReportedMessage m;
  m.outcome.author_domain = "example.com";
  m.outcome.record = domainauth::dmarc::parse_record("v=DMARC1; p=reject; ruf=mailto:f@example.com; fo=1:d:s").record;
  // The input: "mail_from \n header lines (\n) ... \n\n body".
  const auto first = input.find('\n');
  m.mail_from = std::string(input.substr(0, first));
  std::string_view rest = first == std::string_view::npos ? std::string_view() : input.substr(first + 1);
  const auto blank = rest.find("\n\n");
  for (std::string_view head = rest.substr(0, blank); !head.empty();) {
    const auto end = head.find('\n');
    if (auto field = domainauth::mail::parse_header_field(head.substr(0, end))) m.headers.push_back(*field);
    head = end == std::string_view::npos ? std::string_view() : head.substr(end + 1);
  }
  if (blank != std::string_view::npos) m.body = std::string(rest.substr(blank + 2));
  m.dkim = {{true, m.mail_from, m.mail_from, m.mail_from, m.mail_from}};
  m.dmarc_authres = m.spf_authres = m.mail_from;
  m.spf_failed = true;
  const domainauth::report::Redactor redactor("k");
  for (const auto& trigger : domainauth::report::failure_triggers(m)) {
    domainauth::report::Composition c{"r@example.net", {"f@example.com"}, "d", "a", "<id@x>", "=_b", "ua", nullptr};
    (void)domainauth::report::failure_report(m, trigger, c);
    c.redactor = &redactor;
    const auto text = domainauth::report::failure_report(m, trigger, c);
    const auto feedback = text.find("Feedback-Type:");
    const auto end = text.find("\r\n\r\n", feedback);
    for (std::size_t i = feedback; i < end; ++i) {
      if (text[i] == '\n' && text[i - 1] != '\r') __builtin_trap();
      if (text[i] == '\r' && text[i + 1] != '\n') __builtin_trap();
    }
  }
  (void)redactor.text(input);
  return 0;
}
