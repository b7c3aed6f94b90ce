// `domainauth verify --ip IP --helo NAME --sender ADDR [--config FILE]
// [--dns HOST[:PORT]] [--json] < message`: SPF, every DKIM signature, the ARC chain and DMARC
// of one message, as the milter would check it at end of message, and the
// Authentication-Results field (RFC 8601) it would add. Exit status per the CLI
// contract: 0 ran (whatever the verdict), 1 bad usage or input, 2 no usable DNS.
// Reads untrusted input: the message on standard input, DNS answers.
#include <asio/io_context.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "arc/validator.hpp"
#include "cli/common.hpp"
#include "dns/sync.hpp"
#include "dns/config.hpp"
#include "engine/stored_message.hpp"

namespace domainauth::cli {
namespace {

struct VerifyArgs {
  std::string ip, helo, sender, config_path, dns;
  bool json = false;
};

int fail(int code, const std::string& message) {
  std::cerr << "domainauth verify: " << message << "\n";
  return code;
}

nlohmann::json dmarc_json(const engine::StoredVerdict& verdict) {
  const auto& outcome = *verdict.results.dmarc;
  return {{"result", dmarc::to_string(outcome.result)},
          {"policy", dmarc::to_string(outcome.policy)},
          {"disposition", dmarc::to_string(outcome.disposition)},
          {"from_domain", outcome.author_domain},
          {"policy_domain", outcome.policy_domain},
          {"reason", outcome.reason},
          {"action", engine::to_string(verdict.decision->action)},
          {"not_enforced_because", verdict.decision->skipped}};
}

// RFC 8617 5.2: the chain validation status, why it failed, N and oldest-pass.
nlohmann::json arc_json(const arc::ChainResult& chain) {
  return {{"result", arc::to_string(chain.status)},
          {"reason", chain.reason},
          {"instances", chain.instances},
          {"oldest_pass", chain.oldest_pass},
          {"seal_domain", chain.seal_domain}};
}

void print_human(const engine::StoredVerdict& verdict, const std::string& field) {
  const auto& outcome = *verdict.results.dmarc;
  std::cout << "Authentication-Results: " << field << "\n"
            << "DMARC: " << dmarc::to_string(outcome.result) << " for " << outcome.author_domain
            << ", policy " << dmarc::to_string(outcome.policy) << ", disposition "
            << dmarc::to_string(outcome.disposition) << "\n"
            << "action: " << engine::to_string(verdict.decision->action);
  if (!verdict.decision->skipped.empty()) std::cout << " (not enforced: " << verdict.decision->skipped << ")";
  if (verdict.decision->action == engine::DmarcAction::reject) {
    std::cout << " " << verdict.decision->reply.smtp.code << " " << verdict.decision->reply.smtp.enhanced_status << " "
              << verdict.decision->reply.smtp.text;
  }
  std::cout << "\n";
}

int verify(const VerifyArgs& a) {
  auto ip = net::IpAddress::parse(a.ip);
  if (!ip) return fail(kExitUsage, "--ip " + a.ip + " is not an IPv4 or IPv6 address");
  auto loaded = load_config(a.config_path, "");  // --dns is applied to the resolver below
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << "domainauth verify: " << error << "\n";
    return kExitUsage;
  }
  const config::Config& config = *loaded.config;
  InputMessage in = read_message();
  if (!in.error.empty()) return fail(kExitUsage, "message: " + in.error);

  asio::io_context io;
  dns::ResolverConfig resolver_config;
  resolver_config.servers = a.dns.empty() ? config.dns.servers : std::vector<std::string>{a.dns};
  resolver_config.timeout = config.dns.timeout;
  std::string error;
  auto resolver = dns::make_resolver(io.get_executor(), resolver_config, error);
  if (!resolver) return fail(kExitEnvironment, "DNS resolver: " + error);

  engine::Envelope envelope{*ip, a.helo, engine::envelope_address(a.sender)};
  const auto verdict = dns::run_sync(
      io, engine::verify_stored(*resolver, config, std::move(envelope), std::move(in.headers), in.body));
  auto field = authres::format(engine::authentication_results(config.milter.authserv_id, verdict.results), " ");
  field.erase(0, field.find_first_not_of(' '));
  if (!a.json) {
    print_human(verdict, field);
    return kExitOk;
  }
  nlohmann::json out{{"dkim", dkim_json(verdict.results.dkim)},
                     {"dmarc", dmarc_json(verdict)},
                     {"arc", arc_json(*verdict.results.arc)},
                     {"authentication_results", field}};
  if (verdict.results.spf) {
    out["spf"] = spf_json(*verdict.results.spf,
                          spf::received_spf(*verdict.results.spf, *ip, a.helo, config.spf.receiver));
  }
  std::cout << dump(out) << "\n";
  return kExitOk;
}

}  // namespace

void add_verify_command(CLI::App& app, int& status) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = app.add_subcommand(
      "verify", "SPF + DKIM + DMARC of the message on standard input; prints the Authentication-Results it would add");
  cmd->add_option("--ip", args->ip, "the SMTP client's address")->required();
  cmd->add_option("--helo", args->helo, "the name the client gave in HELO/EHLO")->required();
  cmd->add_option("--sender", args->sender, "the MAIL FROM address (\"\" or <> for the null sender)")->required();
  cmd->add_option("--config", args->config_path, "configuration file (TOML)")->check(CLI::ExistingFile);
  cmd->add_option("--dns", args->dns, "send DNS queries to HOST[:PORT]");
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args, &status] { status = verify(*args); });
}

}  // namespace domainauth::cli
