// `domainauth check DOMAIN [--ip ADDR] [--helo NAME] [--selector S ...]
// [--config FILE] [--dns HOST[:PORT]] [--trust-anchor FILE] [--ca-file FILE]
// [--probe] [--json]`: the live diagnosis of a domain's setup (setup/check.hpp),
// fetching over HTTPS (MTA-STS policy, BIMI logo; --ca-file for a private CA)
// and, with --probe, connecting to the MX hosts that publish TLSA records. Selectors come from the
// arguments and from the configuration's signing keys and ARC key for DOMAIN,
// whose private keys are compared with the published ones. With `--postfix
// [--postfix-config DIR]` (DOMAIN then optional) Postfix's wiring of domainauth
// is checked too (cli/postfix_check.hpp), and its smtp_bind_address and
// smtp_helo_name stand in for --ip and --helo. With `--message FILE [--sender
// ADDR] [--bulk]` (DOMAIN then optional) a sample message is verified as
// `domainauth verify` would (cli/verify.hpp, sent from --ip with --helo) and
// judged by the bulk-sender rules (setup/message_rules.hpp).
// Exit status: 0 no error found, 1 bad usage, 2 environment (no usable DNS),
// 3 the check found errors (docs/architecture.md says why check differs from
// the "0 = ran" rule). Reads untrusted input: DNS answers.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/check.hpp"
#include "cli/commands.hpp"
#include "cli/postfix_check.hpp"
#include "cli/verify.hpp"
#include "config/config.hpp"
#include "dns/sync.hpp"
#include "dns/config.hpp"
#include "setup/check.hpp"
#include "setup/message_rules.hpp"
#include "text/ascii.hpp"

namespace domainauth::cli {
namespace {

struct CheckArgs : CheckRequest {
  bool json = false;
  bool postfix = false;
  std::string postfix_config;  // empty: Postfix's own
  std::string message, sender;  // --message FILE: a sample message; its envelope sender
  bool bulk = false;
};

std::string key_path_of(const config::SignSettings& sign, const config::SigningKey& key) {
  for (const auto& native : sign.native) {
    if (native.selector == key.selector && text::iequals(native.domain, key.domain)) return native.key_file;
  }
  for (const auto& entry : sign.tables.keys) {
    if (entry.name == key.name) return entry.key_path;
  }
  return key.name;
}

void add_selector(std::vector<setup::SelectorToCheck>& list, setup::SelectorToCheck s) {
  for (auto& existing : list) {
    if (existing.selector == s.selector) {
      if (s.local_key) existing = std::move(s);
      return;
    }
  }
  list.push_back(std::move(s));
}

// The configuration's signing keys and ARC key for domain, with their private
// keys to compare with the published ones.
void add_config_selectors(const config::Config& config, setup::CheckOptions& options) {
  for (const auto& key : config.sign.keys) {
    if (!text::iequals(key.domain, options.domain)) continue;
    add_selector(options.selectors, {key.selector, key.key, key_path_of(config.sign, key)});
    options.request_reports = config.sign.request_reports;
  }
  // The ARC key ([arc] seal) is published as a DKIM key record too (RFC 8617 4.1.3).
  if (const auto& arc = config.arc; arc.key && arc.domain == options.domain) {
    add_selector(options.selectors, {arc.selector, arc.key, arc.key_file});
  }
}

}  // namespace

std::optional<setup::Report> run_domain_check(const CheckRequest& a, int& status) {
  status = kExitUsage;
  setup::CheckOptions options;
  options.domain = text::to_lower(a.domain);
  while (!options.domain.empty() && options.domain.back() == '.') options.domain.pop_back();
  if (options.domain.empty() || options.domain.find('.') == std::string::npos) {
    std::cerr << "domainauth check: " << a.domain << " is not a domain name\n";
    return std::nullopt;
  }
  for (const auto& text : a.ips) {
    auto ip = net::IpAddress::parse(text);
    if (!ip) {
      std::cerr << "domainauth check: --ip " << text << " is not an IPv4 or IPv6 address\n";
      return std::nullopt;
    }
    options.ips.push_back(*ip);
  }
  options.helo = text::to_lower(a.helo);
  for (const auto& s : a.selectors) add_selector(options.selectors, {s, std::nullopt, {}});
  dns::ResolverConfig resolver_config;
  if (!a.config.empty()) {
    auto loaded = config::load_file(a.config);
    if (!loaded.config) {
      for (const auto& e : loaded.errors) std::cerr << "domainauth check: " << e << "\n";
      return std::nullopt;
    }
    add_config_selectors(*loaded.config, options);
    resolver_config.servers = loaded.config->dns.servers;
  }
  if (!a.dns.empty()) resolver_config.servers = {a.dns};
  resolver_config.trust_anchor_file = a.trust_anchor;
  options.dnssec_validating = !a.trust_anchor.empty();
  options.probe = a.probe;
  asio::io_context io;
  std::string error;
  auto resolver = dns::make_resolver(io.get_executor(), resolver_config, error);
  if (!resolver) {
    std::cerr << "domainauth check: DNS resolver: " << error << "\n";
    status = kExitEnvironment;
    return std::nullopt;
  }
  auto web = setup::make_web_fetcher(a.ca_file);
  setup::Report report = dns::run_sync(io, setup::check_domain(*resolver, options, web.get()));
  status = report.dns_failed ? kExitEnvironment : report.has_errors() ? kExitFindings : kExitOk;
  return report;
}

namespace {

// --message: the sample verified as `verify` would, then judged; its findings
// go to report, verify's JSON to verify_json. Nothing and status set on failure.
bool check_message(const CheckArgs& a, setup::Report& report, nlohmann::json& verify_json, int& status) {
  status = kExitUsage;
  std::ifstream file(a.message, std::ios::binary);
  if (!file) {
    std::cerr << "domainauth check: cannot open " << a.message << "\n";
    return false;
  }
  InputMessage in = read_message(file);
  if (!in.error.empty()) {
    std::cerr << "domainauth check: " << a.message << ": " << in.error << "\n";
    return false;
  }
  if (a.ips.empty()) {
    std::cerr << "domainauth check: --message needs --ip, the address the message is sent from (or --postfix)\n";
    return false;
  }
  VerifyRequest request{a.ips.front(), a.helo, a.sender, a.config, a.dns};
  if (request.sender.empty()) {
    for (const auto& field : in.headers) {
      if (field.is("Return-Path")) request.sender = engine::envelope_address(mail::unfold(field.value()));
    }
  }
  if (request.sender.empty()) {
    std::cerr << "domainauth check: --message needs --sender (the envelope sender) or a Return-Path field\n";
    return false;
  }
  auto verified = verify_stored(request, in, "check", status);
  if (!verified) return false;
  const auto& results = verified->conclusion.results;
  setup::MessageFacts facts{in.headers, results.dkim, results.spf && results.spf->result == spf::Result::pass,
                            results.spf ? results.spf->domain : std::string(), results.dmarc, a.bulk};
  setup::check_message_rules(facts, report);
  verify_json = std::move(verified->json);
  return true;
}

// --postfix with --config: the keys of every other domain Postfix takes mail for
// are published (DOMAIN itself, when given, had the whole check).
void check_postfix_domain_keys(const CheckArgs& a, const setup::PostfixConfig& postfix, setup::Report& report) {
  auto loaded = config::load_file(a.config);
  if (!loaded.config) return;  // postfix_expectations() has reported why
  dns::ResolverConfig resolver_config;
  resolver_config.servers = a.dns.empty() ? loaded.config->dns.servers : std::vector<std::string>{a.dns};
  asio::io_context io;
  std::string error;
  auto resolver = dns::make_resolver(io.get_executor(), resolver_config, error);
  if (!resolver) {
    report.add("postfix.published_keys", setup::Severity::error, "the DNS resolver cannot start: " + error,
               "Check [dns] servers or --dns.");
    return;
  }
  std::string checked = text::to_lower(a.domain);
  while (!checked.empty() && checked.back() == '.') checked.pop_back();
  for (const auto& domain : setup::postfix_mail_domains(postfix)) {
    if (domain == checked) continue;
    setup::CheckOptions options;
    options.domain = domain;
    add_config_selectors(*loaded.config, options);
    options.request_reports = false;  // the reporting record is check DOMAIN's business
    if (options.selectors.empty()) continue;  // postfix.signing_key says so
    dns::run_sync(io, setup::check_published_keys(*resolver, options, report));
  }
}

int run_check(CheckArgs a) {
  a.postfix = a.postfix || !a.postfix_config.empty();
  if (a.domain.empty() && !a.postfix && a.message.empty()) {
    std::cerr << "domainauth check: give a DOMAIN, --postfix, --message FILE, or several\n";
    return kExitUsage;
  }
  int status = kExitOk;
  std::optional<setup::PostfixConfig> postfix;
  std::optional<setup::PostfixExpectations> expectations;
  if (a.postfix) {
    std::string error;
    expectations = postfix_expectations(a.config, error);
    if (!expectations) {
      std::cerr << "domainauth check: " << a.config << ": " << error << "\n";
      return kExitUsage;
    }
    postfix = read_postfix_config(a.postfix_config, error);
    if (!postfix) {
      std::cerr << "domainauth check: " << error << "\n";
      return kExitEnvironment;
    }
    if (a.ips.empty()) {
      for (const auto& ip : setup::postfix_outbound_addresses(*postfix)) a.ips.push_back(ip.to_string());
    }
    if (a.helo.empty()) a.helo = postfix->get("smtp_helo_name");
  }
  std::optional<setup::Report> report = setup::Report{};
  if (!a.domain.empty()) report = run_domain_check(a, status);
  if (!report) return status;
  if (postfix) {
    setup::check_postfix(*postfix, *expectations, *report);
    if (!a.config.empty()) check_postfix_domain_keys(a, *postfix, *report);
    if (status == kExitOk && report->has_errors()) status = kExitFindings;
  }
  nlohmann::json verify_json;
  if (!a.message.empty()) {
    int message_status = kExitOk;
    if (!check_message(a, *report, verify_json, message_status)) return message_status;
    if (status == kExitOk && report->has_errors()) status = kExitFindings;
  }
  if (a.json) {
    auto out = setup::to_json(*report);
    if (!verify_json.is_null()) out["verify"] = std::move(verify_json);
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << setup::to_text(*report);
    if (!verify_json.is_null()) {
      std::cout << "\nverify: Authentication-Results: " << verify_json["authentication_results"].get<std::string>()
                << "\n";
    }
  }
  return status;
}

}  // namespace

void add_check_command(CLI::App& app, int& status) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "live diagnosis of a domain's SPF, DKIM, DMARC, MX, PTR, DNSSEC, MTA-STS, TLS-RPT, DANE and BIMI, of Postfix's "
      "wiring and of a sample message");
  cmd->add_option("domain", args->domain, "the domain to check (optional with --postfix)");
  cmd->add_option("--ip", args->ips,
                  "address your server sends from (SPF, PTR, FCrDNS); repeat it for IPv4 and IPv6 (--message: the "
                  "first)");
  cmd->add_option("--helo", args->helo, "HELO name your server sends");
  cmd->add_option("--selector", args->selectors, "DKIM selector to check (repeatable)");
  cmd->add_option("--config", args->config, "domainauth.toml: its signing and ARC keys for DOMAIN are checked too")
      ->check(CLI::ExistingFile);
  cmd->add_option("--dns", args->dns, "send every DNS query to HOST[:PORT]");
  cmd->add_option("--trust-anchor", args->trust_anchor,
                  "DNSSEC trust anchor file (e.g. /usr/share/dns/root.key) to validate the answers")
      ->check(CLI::ExistingFile);
  cmd->add_option("--ca-file", args->ca_file,
                  "PEM CA certificates to trust for the HTTPS fetches (MTA-STS policy, BIMI logo) instead of the "
                  "system's: for a private CA, and for tests")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--probe", args->probe,
                "connect to each MX with TLSA records on port 25, STARTTLS, and match its certificate (DANE)");
  cmd->add_flag("--postfix", args->postfix,
                "check Postfix's configuration: milters, policy service, signing keys, TLS, outgoing address");
  cmd->add_option("--postfix-config", args->postfix_config, "Postfix configuration directory (default: Postfix's own)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--message", args->message,
                  "a sample message you send: verified as `verify` would, and judged by the bulk-sender rules")
      ->check(CLI::ExistingFile);
  cmd->add_option("--sender", args->sender, "the envelope sender of --message (default: its Return-Path)");
  cmd->add_flag("--bulk", args->bulk, "--message is bulk mail: one-click unsubscribe (RFC 8058) is required");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->footer("Exit status: 0 no errors found, 1 bad usage, 2 no usable DNS, 3 errors found.");
  cmd->callback([args, &status] { status = run_check(*args); });
}

}  // namespace domainauth::cli
