// `domainauth dkim keygen|sign|verify` (design.md CLI contract). keygen writes
// SELECTOR.private (0600, PEM) and SELECTOR.txt (the zone-file TXT record in
// strings of at most 255 octets, as opendkim-genkey prints it); sign prints the
// message with its new DKIM-Signature; verify checks every signature with keys
// from DNS. Reads untrusted input: the message on standard input, DNS answers.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "dkim/signer.hpp"
#include "dkim/verifier.hpp"
#include "dns/sync.hpp"
#include "dns/config.hpp"
#include "mail/header.hpp"
#include "setup/records.hpp"

namespace domainauth::cli {
namespace {

constexpr std::size_t kTxtStringMax = 250;  // opendkim-genkey's piece size (< 255)
constexpr unsigned kMinKeygenBits = 1024;   // RFC 8301 3.2
constexpr unsigned kMaxKeygenBits = 4096;

struct DkimArgs {
  std::string domain, selector, algorithm = "rsa", out_dir = ".", key_file, canon = "relaxed/relaxed", headers, dns;
  unsigned bits = 2048;
  bool json = false;
  bool allow_group_readable = false;
};

int fail(int code, const std::string& message) {
  std::cerr << "domainauth dkim: " << message << "\n";
  return code;
}

bool write_file(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return false;
  bool ok = ::fchmod(fd, mode) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  return ::close(fd) == 0 && ok;
}

// The record as opendkim-genkey prints it: quoted strings of at most 250 octets.
std::string zone_record(const std::string& selector, const std::string& domain, const std::string& record) {
  auto p = record.find("p=");
  std::string out = selector + "._domainkey\tIN\tTXT\t( \"" + record.substr(0, p) + "\"\n";
  for (const auto& part : setup::split_txt(std::string_view(record).substr(p), kTxtStringMax))
    out += "\t  " + part + "\n";
  out.pop_back();
  out += " )  ; ----- DKIM key " + selector + " for " + domain + "\n";
  return out;
}

int keygen(const DkimArgs& a) {
  if (a.algorithm != "rsa" && a.algorithm != "ed25519") return fail(kExitUsage, "--algorithm must be rsa or ed25519");
  if (a.algorithm == "rsa" && (a.bits < kMinKeygenBits || a.bits > kMaxKeygenBits))
    return fail(kExitUsage, "--bits must be between 1024 and 4096");
  std::string error;
  auto key = dkim::PrivateKey::generate(a.algorithm == "rsa" ? dkim::KeyType::rsa : dkim::KeyType::ed25519, a.bits,
                                        &error);
  if (!key) return fail(kExitEnvironment, error);
  std::string private_path = a.out_dir + "/" + a.selector + ".private";
  std::string txt_path = a.out_dir + "/" + a.selector + ".txt";
  std::string record = key->key_record();
  if (!write_file(private_path, key->to_pem(), 0600) ||
      !write_file(txt_path, zone_record(a.selector, a.domain, record), 0644))
    return fail(kExitEnvironment, "cannot write " + private_path + " / " + txt_path);
  if (a.json) {
    std::cout << nlohmann::json{{"private_key", private_path}, {"record_file", txt_path},
                                {"name", a.selector + "._domainkey." + a.domain}, {"record", record}}
                     .dump()
              << "\n";
  } else {
    std::cout << "wrote " << private_path << " and " << txt_path << "\n";
  }
  return kExitOk;
}

int sign(const DkimArgs& a) {
  std::string error;
  auto key = dkim::PrivateKey::load_file(a.key_file, a.allow_group_readable, &error);
  if (!key) return fail(kExitEnvironment, error);
  auto slash = a.canon.find('/');
  auto hc = mail::parse_canonicalization(a.canon.substr(0, slash));
  auto bc = slash == std::string::npos ? mail::Canonicalization::simple
                                       : mail::parse_canonicalization(a.canon.substr(slash + 1));
  if (!hc || !bc) return fail(kExitUsage, "--canon must be simple|relaxed[/simple|relaxed]");
  dkim::SignRequest request(a.domain, a.selector, *key);
  request.header_canon = *hc;
  request.body_canon = *bc;
  if (!a.headers.empty()) {
    request.headers.clear();
    for (std::size_t pos = 0; pos <= a.headers.size();) {
      auto colon = std::min(a.headers.find(':', pos), a.headers.size());
      if (colon > pos) request.headers.push_back(a.headers.substr(pos, colon - pos));
      pos = colon + 1;
    }
  }
  InputMessage in = read_message();
  if (!in.error.empty()) return fail(kExitUsage, "message: " + in.error);
  dkim::Signer signer({request}, std::move(in.headers));
  signer.body(in.body);
  auto out = signer.finish().front();
  if (!out.error.empty()) return fail(kExitUsage, out.error);
  if (a.json) {
    std::cout << nlohmann::json{{"signature", out.field}}.dump() << "\n";
    return kExitOk;
  }
  // Keep the message's own line endings.
  bool lf_only = in.raw.find("\r\n") == std::string::npos;
  std::string field = out.field;
  if (lf_only) {
    for (std::size_t pos; (pos = field.find("\r\n")) != std::string::npos;) field.erase(pos, 1);
  }
  std::cout << field << (lf_only ? "\n" : "\r\n") << in.raw;
  return kExitOk;
}

int verify(const DkimArgs& a) {
  InputMessage in = read_message();
  if (!in.error.empty()) return fail(kExitUsage, "message: " + in.error);
  asio::io_context io;
  dns::ResolverConfig config;
  if (!a.dns.empty()) config.servers.push_back(a.dns);
  std::string error;
  auto resolver = dns::make_resolver(io.get_executor(), config, error);
  if (!resolver) return fail(kExitEnvironment, "DNS: " + error);
  auto results = dns::run_sync(io, dkim::verify_message(*resolver, {}, std::move(in.headers), in.body));
  if (a.json) {
    std::cout << dump(nlohmann::json{{"signatures", dkim_json(results)}}) << "\n";
    return kExitOk;
  }
  if (results.empty()) std::cout << "dkim=none\n";
  for (const auto& r : results) {
    std::cout << "dkim=" << dkim::to_string(r.result);
    if (!r.reason.empty()) std::cout << " (" << r.reason << ")";
    std::cout << " header.d=" << r.domain << " header.s=" << r.selector << " header.a=" << r.algorithm;
    if (r.testing) std::cout << " (testing key)";
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace

void add_dkim_command(CLI::App& app, int& status) {
  auto* dkim = app.add_subcommand("dkim", "DKIM keys, signing and verification (RFC 6376, 8301, 8463)");
  dkim->require_subcommand(1);
  auto args = std::make_shared<DkimArgs>();

  auto* gen = dkim->add_subcommand("keygen", "write SELECTOR.private and SELECTOR.txt");
  gen->add_option("--domain", args->domain, "signing domain")->required();
  gen->add_option("--selector", args->selector, "selector")->required();
  gen->add_option("--algorithm", args->algorithm, "rsa (default) or ed25519");
  gen->add_option("--bits", args->bits, "RSA key size (default 2048)");
  gen->add_option("--out", args->out_dir, "output folder (default .)");
  gen->add_flag("--json", args->json, "print JSON");
  gen->callback([args, &status] { status = keygen(*args); });

  auto* sg = dkim->add_subcommand("sign", "sign the message on standard input");
  sg->add_option("--domain", args->domain, "d=")->required();
  sg->add_option("--selector", args->selector, "s=")->required();
  sg->add_option("--key", args->key_file, "PEM private key file")->required();
  sg->add_option("--canon", args->canon, "header/body canonicalization (default relaxed/relaxed)");
  sg->add_option("--headers", args->headers, "fields to sign, h1:h2:... (default: a standard list)");
  sg->add_flag("--allow-group-readable-key", args->allow_group_readable, "accept a key file others can read");
  sg->add_flag("--json", args->json, "print only the signature, as JSON");
  sg->callback([args, &status] { status = sign(*args); });

  auto* vf = dkim->add_subcommand("verify", "verify every DKIM-Signature of the message on standard input");
  vf->add_option("--dns", args->dns, "send DNS queries to HOST[:PORT]");
  vf->add_flag("--json", args->json, "print JSON");
  vf->callback([args, &status] { status = verify(*args); });
}

}  // namespace domainauth::cli
