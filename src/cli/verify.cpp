// `domainauth verify --ip IP --helo NAME --sender ADDR [--config FILE]
// [--dns HOST[:PORT]] [--json] < message`: SPF, every DKIM signature, the ARC chain and DMARC
// of one message through the daemon's own check (engine::MessageCheck), and the
// Authentication-Results field (RFC 8601) it would add. Exit status per the CLI
// contract: 0 ran (whatever the verdict), 1 bad usage or input, 2 no usable DNS.
// Reads untrusted input: the message on standard input, DNS answers.
#include <asio/io_context.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "arc/validator.hpp"
#include "cli/common.hpp"
#include "cli/verify.hpp"
#include "dns/sync.hpp"
#include "dns/config.hpp"
#include "engine/message_check.hpp"

namespace domainauth::cli {
namespace {

struct VerifyArgs : VerifyRequest {
  bool json = false;
};

int fail(int code, const std::string& message) {
  std::cerr << "domainauth verify: " << message << "\n";
  return code;
}

// What the daemon would do: the DMARC action when DMARC was decided, else the verdict.
std::string action_of(const engine::Conclusion& conclusion) {
  if (conclusion.decision) return std::string(engine::to_string(conclusion.decision->action));
  switch (conclusion.verdict) {
    case engine::Verdict::accept: return "accept";
    case engine::Verdict::reject: return "reject";
    case engine::Verdict::tempfail: return "tempfail";
    case engine::Verdict::quarantine: return "quarantine";
  }
  return "accept";
}

nlohmann::json dmarc_json(const engine::Conclusion& conclusion) {
  const auto& outcome = conclusion.results.dmarc;
  if (!outcome) return {{"result", "none"}, {"action", action_of(conclusion)}};
  return {{"result", dmarc::to_string(outcome->result)},
          {"policy", dmarc::to_string(outcome->policy)},
          {"disposition", dmarc::to_string(outcome->disposition)},
          {"from_domain", outcome->author_domain},
          {"policy_domain", outcome->policy_domain},
          {"reason", outcome->reason},
          {"action", action_of(conclusion)},
          {"not_enforced_because", conclusion.decision ? conclusion.decision->skipped : std::string()}};
}

// RFC 8617 5.2: the chain validation status, why it failed, N and oldest-pass
// ("none" when the message has no ARC set).
nlohmann::json arc_json(const std::optional<arc::ChainResult>& chain) {
  if (!chain) return {{"result", "none"}, {"reason", ""}, {"instances", 0}, {"oldest_pass", 0}, {"seal_domain", ""}};
  return {{"result", arc::to_string(chain->status)},
          {"reason", chain->reason},
          {"instances", chain->instances},
          {"oldest_pass", chain->oldest_pass},
          {"seal_domain", chain->seal_domain}};
}

void print_human(const engine::Conclusion& conclusion, const std::string& field) {
  std::cout << "Authentication-Results: " << field << "\n";
  if (const auto& outcome = conclusion.results.dmarc) {
    std::cout << "DMARC: " << dmarc::to_string(outcome->result) << " for " << outcome->author_domain << ", policy "
              << dmarc::to_string(outcome->policy) << ", disposition " << dmarc::to_string(outcome->disposition)
              << "\n";
  }
  std::cout << "action: " << action_of(conclusion);
  if (conclusion.decision && !conclusion.decision->skipped.empty()) {
    std::cout << " (not enforced: " << conclusion.decision->skipped << ")";
  }
  if (conclusion.verdict == engine::Verdict::reject || conclusion.verdict == engine::Verdict::tempfail) {
    std::cout << " " << conclusion.reply.code << " " << conclusion.reply.status << " " << conclusion.reply.text;
  }
  std::cout << "\n";
}

// The Authentication-Results value the daemon adds, on one line; when it would
// add none (a tempfail), the one its results would give.
std::string authres_line(const engine::Conclusion& conclusion, const std::string& authserv_id) {
  for (const auto& field : conclusion.added) {
    if (!field.is("Authentication-Results")) continue;
    std::string value(field.value());
    for (std::size_t p; (p = value.find("\r\n")) != std::string::npos;) value.replace(p, 3, " ");
    value.erase(0, value.find_first_not_of(' '));
    return value;
  }
  auto value = authres::format(engine::authentication_results(authserv_id, conclusion.results), " ");
  value.erase(0, value.find_first_not_of(' '));
  return value;
}

}  // namespace

std::optional<StoredVerification> verify_stored(const VerifyRequest& a, const InputMessage& in, std::string_view command,
                                                int& status) {
  const auto fail = [&](int code, const std::string& message) {
    std::cerr << "domainauth " << command << ": " << message << "\n";
    status = code;
    return std::nullopt;
  };
  auto ip = net::IpAddress::parse(a.ip);
  if (!ip) return fail(kExitUsage, "--ip " + a.ip + " is not an IPv4 or IPv6 address");
  auto loaded = load_config(a.config_path, "");  // --dns is applied to the resolver below
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << "domainauth " << command << ": " << error << "\n";
    status = kExitUsage;
    return std::nullopt;
  }
  asio::io_context io;  // before the context: its resolver's sockets must go before the loop
  auto context = std::make_shared<engine::Context>();
  context->config = std::make_shared<const config::Config>(std::move(*loaded.config));
  const config::Config& config = *context->config;

  dns::ResolverConfig resolver_config;
  resolver_config.servers = a.dns.empty() ? config.dns.servers : std::vector<std::string>{a.dns};
  resolver_config.timeout = config.dns.timeout;
  std::string error;
  context->resolver = dns::make_resolver(io.get_executor(), resolver_config, error);
  if (!context->resolver) return fail(kExitEnvironment, "DNS resolver: " + error);

  engine::Envelope envelope{{*ip, "", ""}, a.helo, engine::envelope_address(a.sender), ""};
  StoredVerification out{dns::run_sync(io, engine::check_stored_message(context, std::move(envelope), in.headers, in.body)),
                         {}, {}};
  const auto& conclusion = out.conclusion;
  out.authentication_results = authres_line(conclusion, config.milter.authserv_id);
  out.json = {{"dkim", dkim_json(conclusion.results.dkim)},
              {"dmarc", dmarc_json(conclusion)},
              {"arc", arc_json(conclusion.results.arc)},
              {"authentication_results", out.authentication_results}};
  if (conclusion.results.spf) {
    out.json["spf"] = spf_json(*conclusion.results.spf,
                               spf::received_spf(*conclusion.results.spf, *ip, a.helo, config.spf.receiver));
  }
  status = kExitOk;
  return out;
}

namespace {

int verify(const VerifyArgs& a) {
  InputMessage in = read_message();
  if (!in.error.empty()) return fail(kExitUsage, "message: " + in.error);
  int status = kExitOk;
  auto result = verify_stored(a, in, "verify", status);
  if (!result) return status;
  if (a.json) {
    std::cout << dump(result->json) << "\n";
  } else {
    print_human(result->conclusion, result->authentication_results);
  }
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
