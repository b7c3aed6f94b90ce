// `domainauth keys rotate --domain D [--config FILE] [--dns HOST[:PORT]]
// [--grace-days N] [--prune] [--json]`: DKIM key rotation, one step per run
// (setup/rotate.hpp): start (new keys, records to publish), switch (once DNS
// serves them: the configuration is switched atomically), retire (after the
// grace period); --json prints the step's result as one object. Exit status: 0 step done, 1 bad usage or configuration,
// 2 no usable DNS or files not writable, 3 the new records are not (correctly)
// published yet. Reads the configuration, key files, DNS answers.
#include <sys/stat.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/read_access.hpp"
#include "config/config.hpp"
#include "config/paths.hpp"
#include "dkim/crypto.hpp"
#include "dns/await.hpp"
#include "dns/sync.hpp"
#include "dns/config.hpp"
#include "setup/config_file.hpp"
#include "setup/keys.hpp"
#include "setup/rotate.hpp"
#include "text/ascii.hpp"

namespace domainauth::cli {
namespace {

struct RotateArgs {
  std::string domain, config = std::string(config::paths().config_file), dns;
  int grace_days = setup::kDefaultGraceDays;
  bool prune = false;
  bool json = false;
};

std::int64_t seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string date_of(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &tm);
  return buffer;
}

// What a run prints with --json: the step's fields in out, plus ok (exit status 0) and error.
struct Output {
  bool json;
  nlohmann::json out;
  int finish(int code) {
    if (json) {
      out["ok"] = code == kExitOk;
      std::cout << dump(out) << "\n";
    }
    return code;
  }
  int fail(int code, const std::string& message) {
    std::cerr << "domainauth keys rotate: " << message << "\n";
    out["error"] = message;
    return finish(code);
  }
};

int start(const RotateArgs& a, const std::string& text, setup::RotationState& state, const std::string& state_file,
          Output& o) {
  o.out["step"] = "start";
  std::string error;
  auto rotation = setup::start_rotation(text, a.domain, std::chrono::system_clock::now(), error);
  if (!rotation) return o.fail(kExitUsage, error);
  // The new keys are daemon.user's (0600), as init makes them: a reload reads them after the privilege drop.
  const auto loaded = config::load_string(text, a.config);
  const std::string user = loaded.config ? loaded.config->daemon.user : config::defaults().daemon.user;
  std::vector<std::string> notes, files;
  for (const auto& k : rotation->keys) {
    if (auto note = setup::hand_to_daemon_user(k.new_key_file, user, setup::Reader::owner); !note.empty()) {
      notes.push_back(note);
    }
    files.push_back(k.new_key_file);
  }
  std::string unused;
  if (const auto account = user.empty() ? std::nullopt : config::find_account(user, unused)) {
    const auto unreadable = unreadable_as(*account, files);
    notes.insert(notes.end(), unreadable.begin(), unreadable.end());
  }
  o.out["warnings"] = notes;
  for (const auto& note : notes) std::cerr << "domainauth keys rotate: warning: " << note << "\n";
  rotation->grace_days = a.grace_days;
  state.domains[a.domain] = *rotation;
  if (!setup::save_state(state_file, state, error)) return o.fail(kExitEnvironment, error);
  if (!o.json) std::cout << "New keys for " << a.domain << ". Publish these records, then run this command again:\n\n";
  o.out["keys"] = nlohmann::json::array();
  for (const auto& k : rotation->keys) {
    auto key = dkim::PrivateKey::load_file(k.new_key_file, false, &error);
    if (!key) continue;
    if (!o.json) std::cout << setup::key_zone_line(a.domain, k.new_selector, *key);
    o.out["keys"].push_back({{"selector", k.new_selector},
                             {"key_file", k.new_key_file},
                             {"name", k.new_selector + "._domainkey." + a.domain},
                             {"record", key->key_record()}});
  }
  return o.finish(kExitOk);
}

int confirm_and_switch(const RotateArgs& a, const std::string& text, setup::RotationState& state,
                       const std::string& state_file, Output& o) {
  o.out["step"] = "switch";
  o.out["switched"] = false;
  auto& rotation = state.domains[a.domain];
  asio::io_context io;
  dns::ResolverConfig resolver_config;
  if (!a.dns.empty()) resolver_config.servers = {a.dns};
  std::string error;
  auto resolver = dns::make_resolver(io.get_executor(), resolver_config, error);
  if (!resolver) return o.fail(kExitEnvironment, "DNS resolver: " + error);
  bool all = true;
  o.out["records"] = nlohmann::json::array();
  for (const auto& k : rotation.keys) {
    const std::string name = k.new_selector + "._domainkey." + a.domain;
    auto answer = dns::run_sync(io, dns::lookup(*resolver, name, dns::RecordType::txt));
    auto key = dkim::PrivateKey::load_file(k.new_key_file, true, &error);
    if (!key) return o.fail(kExitEnvironment, error);
    const bool ok = answer.txt.size() == 1 && setup::record_matches_key(answer.txt.front(), *key);
    const std::string problem = ok ? "" : answer.txt.empty() ? "no record" : "the record does not match the new key";
    if (!o.json) std::cout << (ok ? "published  " : "NOT YET    ") << name << (ok ? "" : " (" + problem + ")") << "\n";
    o.out["records"].push_back({{"name", name}, {"published", ok}, {"problem", problem}});
    all = all && ok;
  }
  if (!all) {
    if (!o.json) std::cout << "\nSigning stays on the old keys until every new record is published; run again later.\n";
    return o.finish(kExitFindings);
  }
  auto switched = setup::switch_config(text, a.config, a.domain, rotation, error);
  if (!switched) return o.fail(kExitUsage, error);
  struct stat st{};
  const unsigned mode = ::stat(a.config.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0640;
  if (!setup::write_atomically(a.config, *switched, mode, error)) return o.fail(kExitEnvironment, error);
  rotation.phase = setup::DomainRotation::Phase::switched;
  rotation.switched = seconds_now();
  if (!setup::save_state(state_file, state, error)) return o.fail(kExitEnvironment, error);
  const std::string keep_until = date_of(rotation.switched + std::int64_t{rotation.grace_days} * 86400);
  o.out["switched"] = true;
  o.out["keep_old_until"] = keep_until;
  if (!o.json) {
    std::cout << "\n" << a.config << " now signs " << a.domain << " with the new keys; restart `domainauth serve` to "
              << "load them.\nKeep the old records published until " << keep_until
              << " (mail in transit is still verified with them), then run this command again.\n";
  }
  return o.finish(kExitOk);
}

int retire(const RotateArgs& a, setup::RotationState& state, const std::string& state_file, Output& o) {
  const auto rotation = state.domains[a.domain];
  const std::int64_t end = rotation.switched + std::int64_t{rotation.grace_days} * 86400;
  o.out["step"] = "retire";
  o.out["keep_old_until"] = date_of(end);
  o.out["retired"] = false;
  if (seconds_now() < end) {
    if (!o.json) {
      std::cout << "Signing uses the new keys; the old ones are kept until " << date_of(end) << ". Nothing to do yet.\n";
    }
    return o.finish(kExitOk);
  }
  if (!o.json) std::cout << "The grace period has ended. Remove these records from DNS:\n";
  o.out["remove_records"] = nlohmann::json::array();
  o.out["deleted"] = nlohmann::json::array();
  o.out["kept"] = nlohmann::json::array();
  for (const auto& k : rotation.keys) {
    const std::string name = k.old_selector + "._domainkey." + a.domain;
    if (!o.json) std::cout << "  " << name << " TXT\n";
    o.out["remove_records"].push_back(name);
  }
  for (const auto& k : rotation.keys) {
    const std::string txt = std::filesystem::path(k.old_key_file).replace_extension(".txt").string();
    if (!a.prune) {
      if (!o.json) std::cout << "Old key file kept: " << k.old_key_file << " (delete it, or run again with --prune)\n";
      o.out["kept"].push_back(k.old_key_file);
      continue;
    }
    std::error_code ec;
    std::filesystem::remove(k.old_key_file, ec);
    std::filesystem::remove(txt, ec);
    if (!o.json) std::cout << "Deleted " << k.old_key_file << "\n";
    o.out["deleted"].push_back(k.old_key_file);
  }
  state.domains.erase(a.domain);
  std::string error;
  if (!setup::save_state(state_file, state, error)) return o.fail(kExitEnvironment, error);
  o.out["retired"] = true;
  return o.finish(kExitOk);
}

int run_rotate(RotateArgs a) {
  a.domain = text::to_lower(a.domain);
  Output o{a.json, {{"domain", a.domain}}};
  if (a.grace_days < 0 || a.grace_days > 365) return o.fail(kExitUsage, "--grace-days must be between 0 and 365");
  auto text = setup::read_text_file(a.config);
  if (!text) return o.fail(kExitUsage, "cannot read " + a.config);
  std::string error;
  const std::string state_file = setup::state_path(a.config);
  auto state = setup::load_state(state_file, error);
  if (!state) return o.fail(kExitUsage, error);
  auto it = state->domains.find(a.domain);
  if (it == state->domains.end()) return start(a, *text, *state, state_file, o);
  if (it->second.phase == setup::DomainRotation::Phase::pending) {
    return confirm_and_switch(a, *text, *state, state_file, o);
  }
  return retire(a, *state, state_file, o);
}

}  // namespace

void add_keys_command(CLI::App& app, int& status) {
  auto* keys = app.add_subcommand("keys", "DKIM key management");
  keys->require_subcommand(1);
  auto args = std::make_shared<RotateArgs>();
  auto* rotate = keys->add_subcommand("rotate", "rotate a domain's DKIM keys: one step per run (start, switch, retire)");
  rotate->add_option("--domain", args->domain, "the signing domain")->required();
  rotate->add_option("--config", args->config,
                     "domainauth.toml (default " + std::string(config::paths().config_file) + ")");
  rotate->add_option("--dns", args->dns, "send DNS queries to HOST[:PORT]");
  rotate->add_option("--grace-days", args->grace_days, "days the old keys stay published after the switch (default 7)");
  rotate->add_flag("--prune", args->prune, "after the grace period, delete the old key files too");
  rotate->add_flag("--json", args->json,
                   "one JSON object: ok, domain, step (start, switch, retire), error, and the step's fields: "
                   "keys [{selector, key_file, name, record}], warnings; switched, records [{name, published, problem}], "
                   "keep_old_until; retired, keep_old_until, remove_records, deleted, kept");
  rotate->footer("Exit status: 0 step done, 1 bad usage, 2 no DNS / cannot write, 3 new records not published yet.");
  rotate->callback([args, &status] { status = run_rotate(*args); });
}

}  // namespace domainauth::cli
