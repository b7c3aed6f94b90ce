// `domainauth init` (see init.hpp).
#include "setup/init.hpp"

#include <filesystem>
#include <utility>

#include "config/config.hpp"
#include "dkim/report_record.hpp"
#include "setup/config_file.hpp"
#include "setup/keys.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup {

std::string init_config_text(const std::vector<InitKey>& keys, bool request_reports, const std::string& daemon_user,
                             std::string& error) {
  ConfigText c;
  c.comment(
      "domainauth.toml written by `domainauth init`.\n"
      "Every key is optional; `domainauth serve --help-config` lists them all.");
  c.blank();
  if (daemon_user != config::defaults().daemon.user) {
    c.comment("Started as root, serve becomes this user; it owns the keys.");
    c.table("daemon");
    c.set("user", std::string_view(daemon_user));
    c.blank();
  }
  c.comment("The milter: Postfix's smtpd_milters points here. It signs mail from internal hosts\n"
            "and authenticated clients and verifies everything else.");
  c.table("milter");
  c.set("listen", std::vector<std::string>{kInitMilterListen});
  c.set("on_internal_error", std::string_view("tempfail"));
  c.blank();
  c.comment("The SPF policy service: Postfix's check_policy_service points here.");
  c.table("policy");
  c.set("listen", std::vector<std::string>{kInitPolicyListen});
  c.blank();
  c.comment("Signing: both keys of each domain sign (RSA for every verifier, Ed25519 for the new ones).");
  c.table("sign");
  c.set("multiple_signatures", true);
  c.set("internal_hosts", std::vector<std::string>{"127.0.0.1", "::1"});
  c.set("canonicalization", std::string_view("relaxed/relaxed"));
  if (request_reports) {
    c.comment("r=y: verifiers that support RFC 6651 report failed signatures to the _report._domainkey address.");
    c.set("request_reports", true);
  }
  for (const auto& key : keys) {
    c.blank();
    c.sign_key(key.domain, key.selector, key.key_file, key.algorithm);
  }
  if (!c.ok()) error = c.error();
  return c.text();
}

namespace {

struct DomainKeys {
  std::vector<InitKey> keys;
  std::string zone;
};

// The domain's key of this type: an existing one in folder, else a new one.
bool key_of_type(const std::string& domain, const std::string& folder, dkim::KeyType type, const InitOptions& options,
                 InitResult& result, DomainKeys& out) {
  std::optional<KeyFile> chosen;
  for (auto& existing : existing_keys(folder)) {
    if (existing.key.type() == type) chosen = existing;  // sorted: the newest selector wins
  }
  if (chosen) {
    result.keys_reused.push_back(chosen->path);
  } else {
    chosen = create_key(folder, domain, dated_selector(options.now, type), type, result.error);
    if (!chosen) return false;
    result.keys_created.push_back(chosen->path);
  }
  out.keys.push_back({domain, chosen->selector, chosen->path, algorithm_name(type)});
  out.zone += key_zone_line(domain, chosen->selector, chosen->key);
  return true;
}

std::string domain_of(const std::string& mailbox) { return text::to_lower(mailbox.substr(mailbox.rfind('@') + 1)); }

std::string records_for(const std::string& domain, const InitOptions& options, const std::string& dkim_zone) {
  const std::string admin = options.admin.empty() ? "postmaster@" + domain : options.admin;
  std::string zone = "; ---- " + domain + "\n";
  zone += "; SPF: the addresses that send mail as " + domain + "\n";
  zone += txt_zone_line(domain, spf_record(options.ips));
  zone += "; DKIM: both keys (selector._domainkey)\n" + dkim_zone;
  zone += "; DMARC: start with p=none and read the reports sent to " + admin + "\n";
  zone += txt_zone_line("_dmarc." + domain, dmarc_record(admin));
  const std::string report_domain = domain_of(admin);
  if (report_domain != domain && !report_domain.ends_with("." + domain)) {
    zone += "; RFC 7489 7.1: publish this in the zone of " + report_domain + " so it accepts " + domain +
            "'s reports\n";
    zone += txt_zone_line(domain + "._report._dmarc." + report_domain, "v=DMARC1");
  }
  if (options.request_reports) {
    zone += "; DKIM failure reports (RFC 6651; our signatures carry r=y) go to ra= at " + domain + "\n";
    zone += txt_zone_line(std::string(dkim::kReportRecordPrefix) + domain, dkim_report_record(admin));
  }
  return zone + "\n";
}

bool write_config(const std::string& out_dir, const std::string& text, InitResult& result) {
  result.config_path = out_dir + "/domainauth.toml";
  if (auto existing = read_text_file(result.config_path)) {
    if (*existing == text) {
      result.config_unchanged = true;
      return true;
    }
    result.config_path += ".new";
    result.config_side_file = true;
    return write_atomically(result.config_path, text, 0640, result.error);
  }
  return write_new_file(result.config_path, text, 0640, result.error);
}

// daemon.user of the configuration already at path (the default when there is none, or it does not load).
std::string existing_daemon_user(const std::string& path, InitResult& result) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return config::defaults().daemon.user;
  const auto loaded = config::load_file(path);
  if (loaded.config) return loaded.config->daemon.user;
  result.notes.push_back(path + " does not load (" +
                         (loaded.errors.empty() ? std::string("unknown error") : loaded.errors.front()) +
                         "): its daemon.user is not known; the files go to the default user " +
                         config::defaults().daemon.user);
  return config::defaults().daemon.user;
}

// Lets daemon.user read what init wrote; what it cannot read goes to result.notes.
void hand_over(const std::vector<std::pair<std::string, Reader>>& files, InitResult& result) {
  for (const auto& [path, reader] : files) {
    if (auto note = hand_to_daemon_user(path, result.daemon_user, reader); !note.empty()) result.notes.push_back(note);
  }
}

}  // namespace

InitResult run_init(const InitOptions& options) {
  InitResult result;
  std::error_code ec;
  const std::string out_dir = std::filesystem::absolute(options.out_dir, ec).lexically_normal().string();
  // Searchable by all: daemon.user reads domainauth.toml and the key folders in it.
  if (!make_folders(out_dir, 0755, result.error)) return result;
  result.daemon_user = existing_daemon_user(out_dir + "/domainauth.toml", result);
  std::vector<InitKey> keys;
  std::vector<std::pair<std::string, Reader>> handed = {{out_dir + "/keys", Reader::owner}};
  for (const auto& raw : options.domains) {
    const std::string domain = text::to_lower(raw);
    const std::string folder = out_dir + "/keys/" + domain;
    if (!make_folders(folder, 0700, result.error)) return result;
    handed.emplace_back(folder, Reader::owner);
    DomainKeys dk;
    if (!key_of_type(domain, folder, dkim::KeyType::rsa, options, result, dk) ||
        !key_of_type(domain, folder, dkim::KeyType::ed25519, options, result, dk)) {
      return result;
    }
    for (const auto& key : dk.keys) handed.emplace_back(key.key_file, Reader::owner);
    keys.insert(keys.end(), dk.keys.begin(), dk.keys.end());
    result.zone += records_for(domain, options, dk.zone);
  }
  const std::string config_text = init_config_text(keys, options.request_reports, result.daemon_user, result.error);
  if (!result.error.empty() || !write_config(out_dir, config_text, result)) return result;
  handed.emplace_back(result.config_path, Reader::group);
  hand_over(handed, result);
  result.zone_path = out_dir + "/records.zone";
  result.postfix = postfix_lines(kInitMilterListen, kInitPolicyListen, out_dir + "/domainauth.toml");
  if (!write_atomically(result.zone_path, result.zone, 0644, result.error) ||
      !write_atomically(out_dir + "/postfix-main.cf", result.postfix.main_cf, 0644, result.error) ||
      !write_atomically(out_dir + "/postfix-master.cf", result.postfix.master_cf, 0644, result.error)) {
    return result;
  }
  return result;
}

}  // namespace domainauth::setup
