// check_domain(): runs the parts (check_spf.cpp, check_dkim.cpp,
// check_dmarc.cpp, check_hosts.cpp, check_dane.cpp, check_mta_sts.cpp,
// check_bimi.cpp), sums up the DNSSEC status of every answer,
// and derives the checklist of the large receivers' sender requirements
// (Gmail, Yahoo and Microsoft, 2024-2025: SPF and DKIM for everyone, DMARC with
// at least p=none and alignment for bulk senders, PTR/FCrDNS, TLS, one-click
// unsubscribe (RFC 8058) and a low complaint rate for bulk mail).
#include "setup/check.hpp"

#include "setup/check_parts.hpp"

namespace domainauth::setup {
namespace detail {

asio::awaitable<dns::Answer> Context::lookup(std::string name, dns::RecordType type) {
  dns::Answer answer = co_await dns::lookup(resolver, name, type);
  if (answer.dnssec == dns::Dnssec::secure) ++secure;
  else if (answer.dnssec == dns::Dnssec::bogus) ++bogus;
  else if (!answer.transient()) ++insecure;
  co_return answer;
}

OneRecord one_record(Context& c, const dns::Answer& answer, const std::string& id, const std::string& name,
                     bool (*is_record)(std::string_view)) {
  OneRecord out;
  if (answer.transient()) {
    c.report.add(id, Severity::error, "the TXT lookup of " + name + " failed: " + std::string(dns::to_string(answer.status)),
                 "Check that the domain's name servers answer for " + name + ".", name);
    return out;
  }
  std::vector<std::string> records;
  for (const auto& txt : answer.txt) {
    if (is_record(txt)) records.push_back(txt);
  }
  if (records.size() > 1) {
    c.report.add(id, Severity::error, std::to_string(records.size()) + " records at " + name + ": all of them are ignored",
                 "Keep exactly one record at " + name + ".", name);
    return out;
  }
  out.absent = records.empty();
  if (!records.empty()) out.text = records.front();
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

namespace {

void report_dnssec(Context& c) {
  if (c.bogus > 0) {
    c.report.add("dnssec.status", Severity::error,
                 std::to_string(c.bogus) + " answer(s) failed DNSSEC validation: validating receivers see SERVFAIL",
                 "Re-sign the zone or fix the DS record at the parent (check with `drill -S`).");
  } else if (!c.options.dnssec_validating) {
    c.report.add("dnssec.status", Severity::info, "not validated (no trust anchor given)",
                 "Run check with --trust-anchor /usr/share/dns/root.key to see whether the answers are signed.");
  } else if (c.insecure == 0 && c.secure > 0) {
    c.report.add("dnssec.status", Severity::ok, "all " + std::to_string(c.secure) + " answers are DNSSEC-signed and valid");
  } else {
    c.report.add("dnssec.status", Severity::info,
                 std::to_string(c.insecure) + " of " + std::to_string(c.insecure + c.secure) +
                     " answers are not DNSSEC-signed (optional, but it protects your records from forgery)",
                 "Sign the zone with DNSSEC and publish its DS record at your registrar.");
  }
}

bool ok(const Report& r, std::string_view id, std::string_view subject = {}) {
  const Finding* f = r.find(id, subject);
  return f != nullptr && f->severity == Severity::ok;
}

void report_requirements(Context& c) {
  Report& r = c.report;
  const std::string who = "Gmail, Yahoo and Microsoft";
  r.add("requirements.spf", c.spf_ok ? Severity::ok : Severity::error,
        who + " require SPF to pass for all senders: " + (c.spf_ok ? "met" : "not met (see SPF above)"),
        c.spf_ok ? "" : "Fix the SPF errors above.");
  // RFC 8463 Ed25519 signatures count only where verified: Gmail and Microsoft
  // do not verify them (2025), so an Ed25519 key alone leaves mail unsigned to them.
  const std::string dkim_state = c.dkim_ok            ? "a valid RSA key is published"
                                 : c.dkim_ed25519_ok ? "only Ed25519 keys are valid, and Gmail and Microsoft do not "
                                                       "verify Ed25519 signatures, so mail needs an RSA signature too"
                                                     : "no valid key published for the selectors checked";
  r.add("requirements.dkim", c.dkim_ok ? Severity::ok : Severity::error,
        who + " require DKIM signatures for all senders: " + dkim_state,
        c.dkim_ok            ? ""
        : c.dkim_ed25519_ok ? "Sign with an RSA-2048 key as well (domainauth init makes one beside the Ed25519 key; "
                              "multiple_signatures = true) and publish its record."
                            : "Publish the DKIM key your server signs with (see DKIM above).");
  r.add("requirements.dmarc", c.dmarc_ok ? Severity::ok : Severity::error,
        who + " require a DMARC record (p=none at least) from bulk senders (5000+ messages a day): " +
            (c.dmarc_ok ? "published" : "missing"),
        c.dmarc_ok ? "" : "Publish a DMARC record (see DMARC above).");
  // Alignment: the DKIM keys checked live under the domain itself (d= aligns),
  // and SPF was checked for the domain itself as the MAIL FROM domain.
  const bool aligned = c.dmarc_ok && (c.dkim_ok || (c.spf_ok && !c.options.ips.empty()));
  r.add("requirements.alignment", aligned ? Severity::ok : Severity::error,
        "bulk senders need the From domain aligned with DKIM d= or the SPF domain: " +
            std::string(aligned ? "met when mail is signed with d=" + c.options.domain + " or sent with a MAIL FROM in it"
                                : "not met (no DMARC record or no passing aligned identifier)"),
        aligned ? "" : "Sign with d=" + c.options.domain + " and use a MAIL FROM address in " + c.options.domain + ".");
  for (const auto& ip : c.options.ips) {
    const std::string addr = ip.to_string();
    const bool ptr = ok(r, "ptr.fcrdns", addr);
    r.add("requirements.ptr", ptr ? Severity::ok : Severity::error,
          "Gmail and Yahoo require a PTR with forward-confirmed reverse DNS for the sending address" +
              std::string(ip.is_v4() ? "" : " (over IPv6 without it Gmail refuses all mail)") + ": " +
              (ptr ? "met" : "not met"),
          ptr ? "" : "Set the PTR of " + addr + " (see reverse DNS above).", addr);
  }
  if (c.options.ips.empty()) {
    r.add("requirements.ptr", Severity::info, "PTR / forward-confirmed reverse DNS not checked (no --ip)",
          "Run check with --ip ADDRESS.");
  }
  r.add("requirements.tls", Severity::info, "Gmail requires TLS for delivery; not visible in DNS",
        "Keep Postfix's smtp_tls_security_level = may (or stronger).");
  r.add("requirements.unsubscribe", Severity::info,
        "bulk mail must carry one-click unsubscribe (List-Unsubscribe and List-Unsubscribe-Post, RFC 8058): a "
        "property of each message, not of DNS",
        "Have your list software add both fields; check a sample with domainauth check --message FILE --bulk.");
  r.add("requirements.spam_rate", Severity::info,
        "keep the user-reported spam rate below 0.3% (Gmail Postmaster Tools, Yahoo Sender Hub)",
        "Send only to people who asked for the mail and watch the postmaster dashboards.");
}

}  // namespace
}  // namespace detail

asio::awaitable<void> check_published_keys(dns::Resolver& resolver, const CheckOptions& options, Report& report) {
  Report keys;
  detail::Context context{resolver, options, keys};
  co_await detail::check_dkim(context);
  std::vector<std::string> problems;
  for (const auto& f : keys.findings) {
    if (f.severity == Severity::error) problems.push_back("selector " + f.subject + ": " + f.message);
  }
  const std::string& domain = options.domain;
  if (problems.empty()) {
    report.add("postfix.published_keys", Severity::ok, "the DKIM keys of " + domain + " are published and match", {},
               domain);
  } else {
    report.add("postfix.published_keys", Severity::error,
               "Postfix takes mail for " + domain + " and domainauth signs it, but " + detail::join_list(problems),
               "Publish the records domainauth init (or keys rotate) printed for " + domain + ", then run `domainauth "
               "check " + domain + "`.",
               domain);
  }
}

asio::awaitable<Report> check_domain(dns::Resolver& resolver, const CheckOptions& options, WebFetcher* web) {
  Report report;
  report.domain = options.domain;
  for (const auto& ip : options.ips) report.ip += (report.ip.empty() ? "" : ", ") + ip.to_string();
  report.helo = options.helo;
  detail::Context context{resolver, options, report, web};
  co_await detail::check_spf(context);
  if (context.dns_down) {
    report.dns_failed = true;
    co_return report;
  }
  co_await detail::check_dkim(context);
  co_await detail::check_dmarc(context);
  co_await detail::check_hosts(context);
  co_await detail::check_dane(context);
  co_await detail::check_mta_sts(context);
  co_await detail::check_bimi(context);
  detail::report_dnssec(context);
  detail::report_requirements(context);
  co_return report;
}

}  // namespace domainauth::setup
