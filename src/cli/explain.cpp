// `domainauth explain [--dns HOST[:PORT]] [--config FILE] [--no-check] [--json]
// < bounce.eml`: says which requirement a bounce points to and what to check
// (setup/bounce.hpp), then, when the refusal is about authentication and the
// sender's domain is known, runs `check` on that domain (with the sending
// address the reply names, if any). Exit status: 0 explained (and the check
// found no error), 1 no SMTP reply found in the input, 2 no usable DNS,
// 3 the check found errors. Reads untrusted input: the bounce, DNS answers.
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/check.hpp"
#include "cli/commands.hpp"
#include "net/address.hpp"
#include "setup/bounce.hpp"

namespace domainauth::cli {
namespace {

struct ExplainArgs {
  std::string dns, config, trust_anchor;
  bool no_check = false, json = false;
};

nlohmann::json to_json(const setup::Bounce& b) {
  nlohmann::json out = {{"reply", b.reply},       {"status", b.status},         {"remote_mta", b.remote_mta},
                        {"recipient", b.recipient}, {"sender", b.sender},       {"sender_domain", b.sender_domain},
                        {"sending_ip", b.sending_ip}, {"pattern", nullptr}};
  if (b.pattern) {
    out["pattern"] = {{"id", b.pattern->id},
                      {"receiver", b.pattern->receiver},
                      {"requirement", b.pattern->requirement},
                      {"meaning", b.pattern->meaning},
                      {"check", b.pattern->to_check}};
  }
  return out;
}

void print_human(const setup::Bounce& b) {
  std::cout << "Reply:        " << b.reply << "\n";
  if (!b.remote_mta.empty()) std::cout << "From server:  " << b.remote_mta << "\n";
  if (!b.recipient.empty()) std::cout << "Recipient:    " << b.recipient << "\n";
  if (!b.sender.empty()) std::cout << "Sender:       " << b.sender << "\n";
  if (!b.pattern) {
    std::cout << "\nStatus " << b.status << " is not one domainauth knows; read the reply text above.\n";
    return;
  }
  std::cout << "\n" << b.pattern->receiver << " " << b.status << ": " << b.pattern->requirement << "\n"
            << "  What it means: " << b.pattern->meaning << ".\n"
            << "  What to check: " << b.pattern->to_check << ".\n";
}

int run_explain(const ExplainArgs& a) {
  std::string input(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
  auto bounce = setup::read_bounce(input);
  if (!bounce) {
    std::cerr << "domainauth explain: no SMTP reply or DSN status found in the input\n";
    return kExitUsage;
  }
  std::optional<setup::Report> report;
  int status = kExitOk;
  const bool wants_check = bounce->pattern && bounce->pattern->authentication && !bounce->sender_domain.empty();
  if (wants_check && !a.no_check) {
    CheckRequest request;
    request.domain = bounce->sender_domain;
    if (net::IpAddress::parse(bounce->sending_ip)) request.ips = {bounce->sending_ip};
    request.dns = a.dns;
    request.config = a.config;
    request.trust_anchor = a.trust_anchor;
    report = run_domain_check(request, status);
  }
  if (a.json) {
    nlohmann::json out = to_json(*bounce);
    out["check"] = report ? setup::to_json(*report) : nlohmann::json(nullptr);
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    print_human(*bounce);
    if (report) std::cout << "\nChecking the sender's domain now:\n\n" << setup::to_text(*report);
    else if (wants_check) std::cout << "\nRun: domainauth check " << bounce->sender_domain << "\n";
  }
  return status;
}

}  // namespace

void add_explain_command(CLI::App& app, int& status) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand("explain", "explain a bounce (on standard input) and check the sender's domain");
  cmd->add_option("--dns", args->dns, "send every DNS query to HOST[:PORT]");
  cmd->add_option("--config", args->config, "domainauth.toml, for the DKIM selectors to check")->check(CLI::ExistingFile);
  cmd->add_option("--trust-anchor", args->trust_anchor, "DNSSEC trust anchor file")->check(CLI::ExistingFile);
  cmd->add_flag("--no-check", args->no_check, "only explain; do not check the sender's domain");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->footer("Exit status: 0 explained, 1 no SMTP reply found, 2 no usable DNS, 3 the check found errors.");
  cmd->callback([args, &status] { status = run_explain(*args); });
}

}  // namespace domainauth::cli
