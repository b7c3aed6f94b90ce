// The DANE part of check (RFC 7672): the TLSA records at _25._tcp.<mx> of each
// MX host, which count only when the answers are DNSSEC-validated (2.2: senders
// use TLSA records only from a secure answer, and only for an MX found
// securely), whether each record is usable for SMTP (3.1: DANE-TA / DANE-EE;
// PKIX usages are ignored), and with --probe whether the certificate chain the
// MX presents after STARTTLS matches them (2.2.2 / 3.1).
// Reads untrusted input: TLSA and address answers, the MX's certificates.
#include "setup/check_parts.hpp"
#include "setup/dane.hpp"

namespace domainauth::setup::detail {
namespace {

void judge_records(Context& c, const std::string& host, const std::vector<dns::TlsaRecord>& records) {
  int usable = 0;
  for (const auto& record : records) {
    const TlsaJudgement j = judge_tlsa(record);
    const std::string what = "TLSA " + describe_tlsa(record) + " of " + host;
    switch (j.use) {
      case TlsaUse::recommended: ++usable; break;
      case TlsaUse::usable:
        ++usable;
        c.report.add("dane.parameters", Severity::info, what + ": " + j.why,
                     "Publish \"3 1 1\" (the server key's SHA-256) or \"2 1 1\" (your CA's key).", host);
        break;
      case TlsaUse::ignored:
        c.report.add("dane.usage", Severity::warning, what + ": " + j.why,
                     "Replace it with \"3 1 1 <SHA-256 of the server key>\" (DANE-EE).", host);
        break;
      case TlsaUse::broken:
        c.report.add("dane.parameters", Severity::error, what + ": " + j.why + " (senders cannot use it)",
                     "Publish \"3 1 1 <SHA-256 of the server key>\" instead.", host);
        break;
    }
  }
  if (usable == 0) {
    c.report.add("dane.usable", Severity::error,
                 "no TLSA record of " + host + " is usable for SMTP: DANE senders defer mail to it (RFC 7672 2.2)",
                 "Publish \"3 1 1 <SHA-256 of the server key>\" at _25._tcp." + host + ".", host);
  }
}

void judge_validation(Context& c, const std::string& host, const dns::Answer& answer) {
  const std::string name = "_25._tcp." + host;
  if (!c.options.dnssec_validating) {
    c.report.add("dane.dnssec", Severity::info,
                 "TLSA records at " + name + " found, not validated (no trust anchor): DANE counts only if they are "
                 "DNSSEC-signed",
                 "Run check with --trust-anchor /usr/share/dns/root.key to see whether senders can use them.", host);
    return;
  }
  if (answer.dnssec != dns::Dnssec::secure || c.mx_dnssec != dns::Dnssec::secure) {
    c.report.add("dane.dnssec", Severity::error,
                 std::string(answer.dnssec != dns::Dnssec::secure ? "the TLSA answer for " + name
                                                                   : "the MX answer of " + c.options.domain) +
                     " is not DNSSEC-signed: senders ignore the TLSA records (RFC 7672 2.2)",
                 "Sign the zones of " + c.options.domain + " and " + host + " with DNSSEC (DS records at the parents).",
                 host);
    return;
  }
  c.report.add("dane.dnssec", Severity::ok, "the MX and TLSA answers for " + host + " are DNSSEC-validated", {}, host);
  // RFC 7672 2.2.2: the MX host's address records must be secure too (after
  // any CNAME), or the sender does not use DANE for it.
  const auto it = c.mx_address_dnssec.find(host);
  const dns::Dnssec address = it == c.mx_address_dnssec.end() ? dns::Dnssec::insecure : it->second;
  if (address == dns::Dnssec::secure) {
    c.report.add("dane.mx_address_dnssec", Severity::ok, "the A and AAAA answers for " + host + " are DNSSEC-validated",
                 {}, host);
  } else {
    c.report.add("dane.mx_address_dnssec", Severity::error,
                 "the A/AAAA answers for MX host " + host + " are " +
                     (address == dns::Dnssec::bogus ? "DNSSEC-bogus" : "not DNSSEC-signed") +
                     ": senders do not use its TLSA records and deliver to it without DANE (RFC 7672 2.2.2)",
                 "Serve the addresses of " + host + " from a DNSSEC-signed zone (no CNAME into an unsigned one), "
                 "or remove its TLSA records.",
                 host);
  }
}

asio::awaitable<void> probe(Context& c, const std::string& host, const std::vector<dns::TlsaRecord>& records) {
  std::vector<net::IpAddress> addresses = co_await addresses_of(c, host);
  if (addresses.empty()) co_return;  // mx.resolves already says so
  ProbeResult got = c.web->smtp_certificates({host, addresses});
  if (!got.error.empty()) {
    c.report.add("dane.probe", Severity::error, "STARTTLS with " + host + " port 25 failed: " + got.error,
                 "Offer STARTTLS on port 25 (Postfix: smtpd_tls_security_level = may, with smtpd_tls_chain_files).",
                 host);
    co_return;
  }
  std::string reasons;
  for (const auto& record : records) {
    const TlsaMatch match = match_tlsa(record, got.chain, host);
    if (match.matches) {
      c.report.add("dane.probe", Severity::ok,
                   "the certificate " + host + " presents matches TLSA " + describe_tlsa(record), {}, host);
      co_return;
    }
    reasons += (reasons.empty() ? "" : "; ") + describe_tlsa(record) + ": " + match.why;
  }
  c.report.add("dane.probe", Severity::error,
               "the certificate chain " + host + " presents (" + std::to_string(got.chain.size()) +
                   " certificate(s)) matches none of its TLSA records (" + reasons +
                   "): DANE senders defer all mail to it",
               "Publish the TLSA record of the certificate in use (3 1 1 <SHA-256 of its key>, or 2 1 1 of the CA "
               "that issued it, sent in the chain) before switching certificates, and keep the old one until caches "
               "expire.",
               host);
}

}  // namespace

asio::awaitable<void> check_dane(Context& c) {
  int published = 0;
  for (const auto& host : c.mx_hosts) {
    const std::string name = "_25._tcp." + host;
    dns::Answer answer = co_await c.lookup(name, dns::RecordType::tlsa);
    if (answer.transient()) {
      c.report.add("dane.tlsa", Severity::error,
                   "the TLSA lookup of " + name + " failed: " + std::string(dns::to_string(answer.status)) +
                       (answer.dnssec == dns::Dnssec::bogus ? " (DNSSEC bogus: DANE senders defer mail to this MX)" : ""),
                   "Check that the name servers of " + host + " answer TLSA queries (and sign them correctly).", host);
      continue;
    }
    if (!answer.found() || answer.tlsa.empty()) continue;
    ++published;
    c.report.add("dane.tlsa", Severity::ok, std::to_string(answer.tlsa.size()) + " TLSA record(s) at " + name, {}, host);
    judge_validation(c, host, answer);
    judge_records(c, host, answer.tlsa);
    if (c.options.probe && c.web != nullptr) co_await probe(c, host, answer.tlsa);
  }
  c.dane_published = published > 0;
  if (published == 0 && !c.mx_hosts.empty()) {
    c.report.add("dane.tlsa", Severity::info, "no TLSA records at _25._tcp.<mx>: no DANE (optional)",
                 "With DNSSEC-signed zones, publish \"3 1 1 <SHA-256 of the server key>\" at _25._tcp.<each MX>.");
  }
}

}  // namespace domainauth::setup::detail
