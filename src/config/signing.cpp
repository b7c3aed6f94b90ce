// The second stage of loading [sign]: reads the OpenDKIM KeyTable and
// SigningTable and the host lists the keys name (opendkim_tables.hpp), turns
// [[sign.key]] entries into a plain signing table, and loads every private key
// (refusing group/world-readable files unless allowed), so a broken key stops
// the daemon at start instead of failing mail later. Reads configuration files
// and PEM key files named by the administrator.
#include <algorithm>

#include "config/key_table.hpp"

namespace domainauth::config {
namespace detail {
namespace {

// A host list from inline items and files, as OpenDKIM's InternalHosts takes either.
std::optional<HostList> host_list(const std::vector<std::string>& spec, std::string_view key, const ErrorSink& error) {
  std::string inline_text;
  HostList out;
  for (const auto& item : spec) {
    if (!is_table_file_spec(item)) {
      inline_text += item + "\n";
      continue;
    }
    std::string path, why;
    bool refile = false;
    auto text = read_table_file(item, &path, &refile, why);
    if (!text) {
      error(key, why, 0);
      return std::nullopt;
    }
    inline_text += *text + "\n";
  }
  std::string why;
  auto list = parse_host_list(inline_text, key, why);
  if (!list) error(key, why, 0);
  return list;
}

bool load_opendkim_tables(SignSettings& sign, const ErrorSink& error) {
  if (sign.keytable.empty() != sign.signingtable.empty()) {
    error(sign.keytable.empty() ? "sign.signingtable" : "sign.keytable",
          "sign.keytable and sign.signingtable go together", 0);
    return false;
  }
  if (sign.keytable.empty()) return true;
  std::string path, why;
  bool refile = false;
  auto key_text = read_table_file(sign.keytable, &path, &refile, why);
  auto keys = key_text ? parse_key_table(*key_text, path, why) : std::nullopt;
  if (!keys) {
    error("sign.keytable", why, 0);
    return false;
  }
  auto signing_text = read_table_file(sign.signingtable, &path, &refile, why);
  auto signing = signing_text ? parse_signing_table(*signing_text, path, why) : std::nullopt;
  if (!signing) {
    error("sign.signingtable", why, 0);
    return false;
  }
  for (const auto& entry : *signing) {
    if (std::none_of(keys->begin(), keys->end(), [&](const auto& k) { return k.name == entry.key_name; })) {
      error("sign.signingtable", path + ": " + entry.pattern + " names key " + entry.key_name + ", not in the KeyTable",
            0);
      return false;
    }
  }
  sign.tables.keys = std::move(*keys);
  sign.tables.signing = std::move(*signing);
  sign.tables.refile = refile;
  return true;
}

std::optional<dkim::PrivateKey> load_key(const SignSettings& sign, const std::string& path, std::string_view algorithm,
                                         std::string& why) {
  auto key = dkim::PrivateKey::load_file(path, sign.allow_group_readable_keys, &why);
  if (key && !algorithm.empty() && key->algorithm() != dkim::parse_algorithm(algorithm)) {
    why = path + ": the key is " + std::string(dkim::to_string(key->type())) + ", not for " + std::string(algorithm);
    return std::nullopt;
  }
  return key;
}

}  // namespace

void resolve_signing(SignSettings& sign, const ErrorSink& error) {
  sign.native_table = {};
  sign.tables = {};
  sign.keys.clear();
  if (auto hosts = host_list(sign.internal_hosts_spec, "sign.internal_hosts", error)) sign.internal_hosts = *hosts;
  if (auto hosts = host_list(sign.external_ignore_spec, "sign.external_ignore", error)) sign.external_ignore = *hosts;
  // SubDomains applies to OpenDKIM's Domain list only (opendkim.c), which
  // [[sign.key]] stands for; a SigningTable decides for itself.
  sign.native_table.subdomains = sign.subdomains;
  for (auto* table : {&sign.native_table, &sign.tables}) table->multiple_signatures = sign.multiple_signatures;
  for (const auto& native : sign.native) {
    std::string why;
    auto key = load_key(sign, native.key_file, native.algorithm, why);
    if (!key) {
      error("sign.key", why, native.line);
      continue;
    }
    const std::string name = "sign.key:" + native.selector + "._domainkey." + native.domain;
    sign.native_table.keys.push_back({name, native.domain, native.selector, native.key_file});
    sign.native_table.signing.push_back({native.domain, name});
    sign.keys.push_back({name, native.domain, native.selector, *key});
  }
  if (!load_opendkim_tables(sign, error)) return;
  for (const auto& entry : sign.tables.keys) {
    std::string why;
    auto key = load_key(sign, entry.key_path, "", why);
    if (!key) {
      error("sign.keytable", entry.name + ": " + why, 0);
      continue;
    }
    sign.keys.push_back({entry.name, entry.domain, entry.selector, *key});
  }
}

}  // namespace detail

std::vector<const SigningKey*> SignSettings::keys_for(std::string_view from_address) const {
  std::vector<const SigningKey*> out;
  for (const auto* table : {&native_table, &tables}) {
    if (!out.empty() && !multiple_signatures) break;
    for (const auto& entry : table->keys_for(from_address)) {
      auto it = std::find_if(keys.begin(), keys.end(), [&](const SigningKey& k) { return k.name == entry.name; });
      if (it != keys.end() && std::find(out.begin(), out.end(), &*it) == out.end()) out.push_back(&*it);
    }
  }
  return out;
}

}  // namespace domainauth::config
