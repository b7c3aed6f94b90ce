// The DKIM part of check: for each selector, the key record at
// <selector>._domainkey.<domain> (RFC 6376 3.6.1, 3.6.2.2): present and single,
// valid, not revoked, a usable key size (RFC 8301 3.2), sha256 allowed (RFC
// 8301 3.1), not in testing mode (t=y), and equal to the local private key the
// configuration signs with; when our signatures ask for failure reports (r=y,
// sign.request_reports), the RFC 6651 reporting record at
// _report._domainkey.<domain>. Reads untrusted input: TXT answers.
#include "dkim/key_record.hpp"
#include "dkim/report_record.hpp"
#include "setup/check_parts.hpp"
#include "setup/rotate.hpp"

namespace domainauth::setup::detail {
namespace {

void report_key(Context& c, const SelectorToCheck& s, const dkim::KeyRecord& record, const std::string& text) {
  const std::string& sel = s.selector;
  std::string error;
  auto key = dkim::PublicKey::from_record(record.type, record.public_key, &error);
  if (!key) {
    c.report.add("dkim.valid", Severity::error, "the p= key cannot be read: " + error,
                 "Publish the key again exactly as `domainauth init` or `keys rotate` printed it.", sel);
    return;
  }
  c.report.add("dkim.valid", Severity::ok, "valid " + std::string(dkim::to_string(record.type)) + " key record", {}, sel);
  bool usable = true;
  if (record.type == dkim::KeyType::rsa) {
    const unsigned bits = key->bits();
    if (bits < kMinRsaBits) {
      usable = false;
      c.report.add("dkim.key_size", Severity::error,
                   "RSA key of " + std::to_string(bits) + " bits: receivers treat signatures as failing (RFC 8301)",
                   "Rotate to a 2048-bit key with `domainauth keys rotate`.", sel);
    } else if (bits < kRecommendedRsaBits) {
      c.report.add("dkim.key_size", Severity::warning,
                   "RSA key of " + std::to_string(bits) + " bits: Gmail and Microsoft ask for 2048",
                   "Rotate to a 2048-bit key with `domainauth keys rotate`.", sel);
    } else {
      c.report.add("dkim.key_size", Severity::ok, "RSA key of " + std::to_string(bits) + " bits", {}, sel);
    }
  }
  if (!dkim::allows_hash(record, dkim::Algorithm::rsa_sha256) &&
      !dkim::allows_hash(record, dkim::Algorithm::ed25519_sha256)) {
    usable = false;
    c.report.add("dkim.hash", Severity::error, "h= allows only sha1, which receivers no longer accept (RFC 8301)",
                 "Remove h= from the key record (or set h=sha256).", sel);
  }
  if (record.testing) {
    c.report.add("dkim.testing", Severity::warning, "t=y: receivers may treat signatures as if the mail were unsigned",
                 "Remove t=y from the key record once signing works.", sel);
  }
  if (s.local_key) {
    if (record_matches_key(text, *s.local_key)) {
      c.report.add("dkim.matches_local", Severity::ok, "matches the local private key " + s.key_file, {}, sel);
    } else {
      usable = false;
      c.report.add("dkim.matches_local", Severity::error,
                   "does not match the local private key " + s.key_file + ": every signature made with it fails",
                   "Publish the record that belongs to " + s.key_file + " (see the .txt beside it), or sign with the "
                   "key that belongs to the published record.",
                   sel);
    }
  }
  if (usable) (record.type == dkim::KeyType::rsa ? c.dkim_ok : c.dkim_ed25519_ok) = true;
}

asio::awaitable<void> check_selector(Context& c, const SelectorToCheck& s) {
  const std::string name = s.selector + "._domainkey." + c.options.domain;
  dns::Answer answer = co_await c.lookup(name, dns::RecordType::txt);
  if (answer.transient()) {
    c.report.add("dkim.present", Severity::error, "the TXT lookup of " + name + " failed: " +
                 std::string(dns::to_string(answer.status)),
                 "Check that the domain's name servers answer for " + name + ".", s.selector);
    co_return;
  }
  if (answer.empty() || answer.txt.empty()) {
    c.report.add("dkim.present", Severity::error, "no key record at " + name,
                 "Publish the TXT record for selector " + s.selector + " (the .txt file beside its key).", s.selector);
    co_return;
  }
  if (answer.txt.size() > 1) {
    c.report.add("dkim.single", Severity::error,
                 std::to_string(answer.txt.size()) + " TXT records at " + name + ": verifiers may pick either",
                 "Keep exactly one key record per selector.", s.selector);
    co_return;
  }
  c.report.add("dkim.present", Severity::ok, "key record at " + name, {}, s.selector);
  auto parsed = dkim::parse_key_record(answer.txt.front());
  if (!parsed.ok()) {
    c.report.add("dkim.valid", Severity::error, "the key record is invalid: " + parsed.error,
                 "Publish the key again exactly as `domainauth init` or `keys rotate` printed it.", s.selector);
    co_return;
  }
  if (parsed.record.revoked) {
    c.report.add("dkim.valid", Severity::error, "the key is revoked (empty p=)",
                 "Sign with a current selector and check that one instead.", s.selector);
    co_return;
  }
  report_key(c, s, parsed.record, answer.txt.front());
}

// RFC 6651 3.2: where verifiers send the reports our r=y asks for.
asio::awaitable<void> check_report_record(Context& c) {
  const std::string name = std::string(dkim::kReportRecordPrefix) + c.options.domain;
  const dns::Answer answer = co_await c.lookup(name, dns::RecordType::txt);
  const auto found = dkim::report_record_from_answer(answer);
  const std::string fix = "Publish the record `domainauth init --request-reports` prints, e.g. " + name +
                          " TXT \"ra=postmaster; rr=all\" (reports go to ra=@" + c.options.domain + ").";
  if (found.record) {
    c.report.add("dkim.report_record", Severity::ok,
                 "DKIM failure reports (r=y) go to " + found.record->address + "@" + c.options.domain +
                     (found.record->percent < 100 ? " (rp=" + std::to_string(found.record->percent) + "%)" : ""),
                 {}, name);
  } else if (found.transient || (answer.found() && !answer.txt.empty())) {
    c.report.add("dkim.report_record", Severity::error, "the reporting record at " + name + " is not usable: " +
                 found.error, fix, name);
  } else {
    c.report.add("dkim.report_record", Severity::warning,
                 "our signatures ask for failure reports (sign.request_reports, r=y) but " + name +
                     " has no reporting record, so verifiers send none",
                 fix, name);
  }
}

}  // namespace

asio::awaitable<void> check_dkim(Context& c) {
  if (c.options.request_reports) co_await check_report_record(c);
  if (c.options.selectors.empty()) {
    c.report.add("dkim.selectors", Severity::warning,
                 "no DKIM selector known, so no key was checked (DNS cannot list selectors)",
                 "Run check with --selector NAME or --config domainauth.toml.");
    co_return;
  }
  for (const auto& selector : c.options.selectors) co_await check_selector(c, selector);
}

}  // namespace domainauth::setup::detail
