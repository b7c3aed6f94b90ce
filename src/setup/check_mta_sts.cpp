// The MTA-STS and TLS-RPT part of check: the _mta-sts TXT record (RFC 8461
// 3.1), the policy fetched from https://mta-sts.DOMAIN/.well-known/mta-sts.txt
// (3.3: HTTPS with a valid certificate, no redirects, 200, text/plain), its
// syntax, mode and max_age (3.2), whether its mx patterns cover every MX host
// (4.1: a sender in enforce mode refuses an MX no pattern matches), and the
// _smtp._tls TLS-RPT record (RFC 8460 3) that gets reports of those failures.
// Reads untrusted input: TXT answers and the policy file.
#include <algorithm>

#include "setup/check_parts.hpp"
#include "setup/mta_sts.hpp"
#include "setup/receiving_records.hpp"

namespace domainauth::setup::detail {
namespace {

void judge_policy(Context& c, const MtaStsPolicy& policy, const std::string& url) {
  if (!policy.errors.empty()) {
    c.report.add("mta_sts.policy", Severity::error, url + " is not a valid policy: " + join_list(policy.errors),
                 "Serve lines \"version: STSv1\", \"mode: testing\", \"mx: <each MX host>\", \"max_age: 604800\".", url);
    return;
  }
  c.report.add("mta_sts.policy", Severity::ok, "policy: mode " + std::string(to_string(*policy.mode)) + ", max_age " +
                                                   std::to_string(*policy.max_age) + ", mx " + join_list(policy.mx), {}, url);
  if (*policy.mode == MtaStsMode::none) {
    c.report.add("mta_sts.mode", Severity::warning, "mode: none withdraws the policy: senders do not require TLS",
                 "Use mode: testing, then mode: enforce once the TLS-RPT reports are clean.", url);
  } else if (*policy.mode == MtaStsMode::testing) {
    c.report.add("mta_sts.mode", Severity::info, "mode: testing: failures are only reported (TLS-RPT), mail still flows",
                 "Move to mode: enforce once the TLS-RPT reports show no failures.", url);
  } else {
    c.report.add("mta_sts.mode", Severity::ok, "mode: enforce: senders deliver only over valid TLS to listed MX hosts",
                 {}, url);
  }
  if (*policy.max_age < kMtaStsMinSaneAge) {
    c.report.add("mta_sts.max_age", Severity::warning,
                 "max_age " + std::to_string(*policy.max_age) + " is under a day: the policy lapses between fetches",
                 "Set max_age to a week (604800) or more.", url);
  } else {
    c.report.add("mta_sts.max_age", Severity::ok, "max_age " + std::to_string(*policy.max_age) + " s", {}, url);
  }
  if (*policy.mode == MtaStsMode::none) return;
  for (const auto& host : c.mx_hosts) {
    const bool matched = std::any_of(policy.mx.begin(), policy.mx.end(),
                                     [&](const std::string& p) { return mta_sts_mx_matches(p, host); });
    if (matched) {
      c.report.add("mta_sts.mx_match", Severity::ok, "MX " + host + " matches the policy's mx patterns", {}, host);
    } else {
      c.report.add("mta_sts.mx_match",
                   *policy.mode == MtaStsMode::enforce ? Severity::error : Severity::warning,
                   "MX " + host + " matches no mx pattern of the policy: senders in enforce mode will not deliver to it",
                   "Add \"mx: " + host + "\" to the policy (and change its id in _mta-sts." + c.options.domain + ").",
                   host);
    }
  }
}

asio::awaitable<void> fetch_policy(Context& c) {
  const std::string host = "mta-sts." + c.options.domain;
  const std::string url = "https://" + host + "/.well-known/mta-sts.txt";
  if (c.web == nullptr) {
    c.report.add("mta_sts.policy_fetch", Severity::info, "the policy at " + url + " was not fetched",
                 "Run check from the command line to fetch it.", url);
    co_return;
  }
  std::vector<net::IpAddress> addresses = co_await addresses_of(c, host);
  if (addresses.empty()) {
    c.report.add("mta_sts.policy_fetch", Severity::error, host + " has no A or AAAA record: the policy cannot be fetched",
                 "Publish an address for " + host + " and serve the policy there over HTTPS.", url);
    co_return;
  }
  HttpsResult got = c.web->get({url, addresses, kMaxMtaStsPolicyOctets, std::chrono::seconds(10)});
  std::string problem;
  if (!got.error.empty()) problem = got.error;
  else if (got.status != 200) problem = "HTTP status " + std::to_string(got.status) + " (redirects are not followed, RFC 8461 3.3)";
  if (!problem.empty()) {
    c.report.add("mta_sts.policy_fetch", Severity::error, url + " could not be fetched: " + problem,
                 "Serve the policy at " + url + " over HTTPS with a certificate valid for " + host + ".", url);
    co_return;
  }
  if (!got.content_type.starts_with("text/plain")) {
    c.report.add("mta_sts.policy_fetch", Severity::warning,
                 url + " is served as \"" + got.content_type + "\", not text/plain (RFC 8461 3.2)",
                 "Serve the policy with Content-Type: text/plain.", url);
  } else {
    c.report.add("mta_sts.policy_fetch", Severity::ok, "fetched " + url, {}, url);
  }
  judge_policy(c, parse_mta_sts_policy(got.body), url);
}

asio::awaitable<void> check_tls_rpt(Context& c, bool wanted) {
  const std::string name = "_smtp._tls." + c.options.domain;
  dns::Answer answer = co_await c.lookup(name, dns::RecordType::txt);
  OneRecord one = one_record(c, answer, "tls_rpt.record", name, is_tls_rpt_record);
  if (one.absent) {
    c.report.add("tls_rpt.record", wanted ? Severity::warning : Severity::info,
                 "no TLS-RPT record at " + name + ": nobody hears of senders' TLS failures" +
                     (wanted ? " under your MTA-STS or DANE policy" : ""),
                 "Publish \"v=TLSRPTv1; rua=mailto:tls-reports@" + c.options.domain + "\" at " + name + ".", name);
  }
  if (!one.text) co_return;
  TlsRptRecord record = parse_tls_rpt_record(*one.text);
  if (!record.error.empty()) {
    c.report.add("tls_rpt.record", Severity::error, name + ": " + record.error + " (senders ignore the record)",
                 "Publish \"v=TLSRPTv1; rua=mailto:tls-reports@" + c.options.domain + "\" at " + name + ".", name);
    co_return;
  }
  c.report.add("tls_rpt.record", Severity::ok, "TLS reports go to " + join_list(record.rua), {}, name);
}

}  // namespace

asio::awaitable<void> check_mta_sts(Context& c) {
  const std::string name = "_mta-sts." + c.options.domain;
  dns::Answer answer = co_await c.lookup(name, dns::RecordType::txt);
  OneRecord one = one_record(c, answer, "mta_sts.record", name, is_mta_sts_record);
  if (one.absent) {
    c.report.add("mta_sts.record", Severity::info,
                 "no MTA-STS record at " + name + ": senders may deliver to you without TLS if an attacker strips it",
                 "Serve a policy at https://mta-sts." + c.options.domain + "/.well-known/mta-sts.txt and publish "
                 "\"v=STSv1; id=<date>\" at " + name + ".", name);
  }
  if (one.text) {
    MtaStsRecord record = parse_mta_sts_record(*one.text);
    if (!record.error.empty()) {
      c.report.add("mta_sts.record", Severity::error, name + ": " + record.error + " (senders ignore the policy)",
                   "Publish \"v=STSv1; id=20260101T000000\" (a new id at each policy change) at " + name + ".", name);
    } else {
      c.report.add("mta_sts.record", Severity::ok, "MTA-STS record, id " + record.id, {}, name);
      co_await fetch_policy(c);
    }
  }
  co_await check_tls_rpt(c, one.text.has_value() || c.dane_published);
}

}  // namespace domainauth::setup::detail
