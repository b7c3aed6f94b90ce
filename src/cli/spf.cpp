// `domainauth spf --ip IP --sender ADDR --helo NAME [--dns HOST[:PORT]] [--json]`:
// the SPF check (RFC 7208) of the MAIL FROM identity and of the HELO identity,
// printed for people or as JSON, each with its Received-SPF field (RFC 7208 9.1).
// Exit status per the CLI contract: 0 ran, 1 bad input, 2 no usable DNS.
// Reads untrusted input: the command line values and DNS answers.
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <optional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "dns/sync.hpp"
#include "dns/config.hpp"
#include "spf/spf.hpp"

namespace domainauth::cli {
namespace {

struct SpfArguments {
  std::string ip;
  std::string sender;
  std::string helo;
  std::string dns;
  bool json = false;
};

// The name of this host, for %{r} and receiver= (RFC 7208 7.3: "unknown" if none).
std::string receiver_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown";
  return name;
}

void print_human(const char* title, const spf::Outcome& o, const std::string& received) {
  std::cout << title << " (" << spf::to_string(o.identity) << ", domain " << o.domain << ")\n"
            << "  result:      " << spf::to_string(o.result) << "\n"
            << "  mechanism:   " << o.mechanism << "\n"
            << "  reason:      " << o.reason << "\n";
  if (!o.explanation.empty()) std::cout << "  explanation: " << o.explanation << "\n";
  std::cout << "  Received-SPF: " << received << "\n";
}

int run_spf(const SpfArguments& args) {
  auto ip = net::IpAddress::parse(args.ip);
  if (!ip) {
    std::cerr << "domainauth spf: --ip " << args.ip << " is not an IPv4 or IPv6 address\n";
    return kExitUsage;
  }
  asio::io_context io;
  dns::ResolverConfig config;
  if (!args.dns.empty()) config.servers.push_back(args.dns);
  std::string error;
  auto resolver = dns::make_resolver(io.get_executor(), config, error);
  if (!resolver) {
    std::cerr << "domainauth spf: DNS resolver: " << error << "\n";
    return kExitEnvironment;
  }
  spf::Options options;
  options.receiver = receiver_name();
  // Both identities are checked at once, so their DNS waits overlap.
  std::optional<spf::Outcome> helo_outcome;
  std::exception_ptr helo_error;
  asio::co_spawn(io, spf::check_helo(*resolver, options, *ip, args.helo), [&](std::exception_ptr e, spf::Outcome o) {
    helo_error = e;
    helo_outcome = std::move(o);
  });
  spf::Outcome mail_from = dns::run_sync(io, spf::check_mail_from(*resolver, options, *ip, args.sender, args.helo));
  while (!helo_outcome && io.run_one() > 0) {
  }
  if (helo_error) std::rethrow_exception(helo_error);
  const spf::Outcome& helo = helo_outcome.value();
  std::string mail_from_field = spf::received_spf(mail_from, *ip, args.helo, options.receiver);
  std::string helo_field = spf::received_spf(helo, *ip, args.helo, options.receiver);
  if (args.json) {
    nlohmann::json out = spf_json(mail_from, mail_from_field);
    out["helo"] = spf_json(helo, helo_field);
    std::cout << dump(out) << "\n";
  } else {
    print_human("MAIL FROM", mail_from, mail_from_field);
    print_human("HELO", helo, helo_field);
  }
  return kExitOk;
}

}  // namespace

void add_spf_command(CLI::App& app, int& status) {
  auto args = std::make_shared<SpfArguments>();
  CLI::App* cmd = app.add_subcommand("spf", "SPF check (RFC 7208) of a client IP, MAIL FROM and HELO");
  cmd->add_option("--ip", args->ip, "SMTP client IP address")->required();
  cmd->add_option("--sender", args->sender, "MAIL FROM address (\"\" for the null sender)")->required();
  cmd->add_option("--helo", args->helo, "HELO/EHLO name")->required();
  cmd->add_option("--dns", args->dns, "send every DNS query to HOST[:PORT]");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args, &status] { status = run_spf(*args); });
}

}  // namespace domainauth::cli
