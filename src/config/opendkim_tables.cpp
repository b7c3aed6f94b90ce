// OpenDKIM KeyTable / SigningTable / host lists (see opendkim_tables.hpp).
// Semantics follow opendkim.conf(5): a refile: SigningTable holds wildcard
// patterns matched against the From address in file order; a plain one is
// looked up with the address, then its domain. MultipleSignatures yes applies
// every match instead of the first. SubDomains yes lets mail from a subdomain
// use the entries of its parent domains when nothing matches it directly.
#include "text/ascii.hpp"
#include "config/opendkim_tables.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace domainauth::config {
namespace {

constexpr std::size_t kMaxTableLines = 100000;

using text::to_lower;

std::string_view trim(std::string_view s) {
  while (!s.empty() && text::is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && (text::is_wsp(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Calls f(line_number, first_field, rest) for every non-comment line; stops at
// the first error f reports.
template <typename F>
bool for_each_line(std::string_view text, std::string_view name, std::string& error, F f) {
  std::size_t number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (++number > kMaxTableLines) {
      error = std::string(name) + ": more than " + std::to_string(kMaxTableLines) + " lines";
      return false;
    }
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    auto space = line.find_first_of(" \t");
    std::string_view key = line.substr(0, space);
    std::string_view rest = space == std::string_view::npos ? std::string_view{} : trim(line.substr(space));
    std::string why = f(key, rest);
    if (!why.empty()) {
      error = std::string(name) + ":" + std::to_string(number) + ": " + why;
      return false;
    }
  }
  return true;
}

// "*" matches any run of characters (refile: patterns), case-insensitive.
bool wildcard_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern.front() == '*') {
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (wildcard_match(pattern.substr(1), text.substr(i))) return true;
    }
    return false;
  }
  return !text.empty() && to_lower(pattern.substr(0, 1)) == to_lower(text.substr(0, 1)) &&
         wildcard_match(pattern.substr(1), text.substr(1));
}

bool mail_equal(std::string_view a, std::string_view b) { return to_lower(a) == to_lower(b); }

}  // namespace

std::optional<std::vector<KeyTableEntry>> parse_key_table(std::string_view text, std::string_view name,
                                                          std::string& error) {
  std::vector<KeyTableEntry> out;
  bool ok = for_each_line(text, name, error, [&](std::string_view key, std::string_view value) -> std::string {
    auto first = value.find(':');
    auto second = first == std::string_view::npos ? first : value.find(':', first + 1);
    if (value.empty() || second == std::string_view::npos)
      return "expected \"NAME DOMAIN:SELECTOR:KEYFILE\"";
    KeyTableEntry e{std::string(key), to_lower(value.substr(0, first)),
                    std::string(value.substr(first + 1, second - first - 1)), std::string(value.substr(second + 1))};
    if (e.domain.empty() || e.selector.empty() || e.key_path.empty()) return "empty domain, selector or key file";
    if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.name == e.name; }))
      return "key name " + e.name + " appears twice";
    out.push_back(std::move(e));
    return {};
  });
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<SigningTableEntry>> parse_signing_table(std::string_view text, std::string_view name,
                                                                  std::string& error) {
  std::vector<SigningTableEntry> out;
  bool ok = for_each_line(text, name, error, [&](std::string_view key, std::string_view value) -> std::string {
    if (value.empty()) return "expected \"PATTERN KEYNAME\"";
    if (value.find_first_of(" \t") != std::string_view::npos) return "more than one key name";
    out.push_back({std::string(key), std::string(value)});
    return {};
  });
  if (!ok) return std::nullopt;
  return out;
}

std::optional<HostList> parse_host_list(std::string_view text, std::string_view name, std::string& error) {
  HostList out;
  bool ok = for_each_line(text, name, error, [&](std::string_view key, std::string_view rest) -> std::string {
    if (!rest.empty()) return "one host, address or network per line";
    bool negated = key.front() == '!';
    if (negated) key.remove_prefix(1);
    if (auto network = net::Network::parse(key)) {
      out.add(negated, *network);
    } else if (key.find('/') == std::string_view::npos && key.find(':') == std::string_view::npos && !key.empty() &&
               std::all_of(key.begin(), key.end(), [](char c) {
                 return text::is_alnum(c) || c == '-' || c == '.' || c == '_';
               })) {
      out.add_host(negated, to_lower(key));
    } else {
      return "\"" + std::string(key) + "\" is not an address, network or host name";
    }
    return {};
  });
  if (!ok) return std::nullopt;
  return out;
}

bool HostList::contains(const net::IpAddress& ip) const {
  auto in = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const net::Network& n) { return n.contains(ip); });
  };
  return !in(excluded_) && in(networks_);
}

bool HostList::contains_host(std::string_view name) const {
  std::string n = to_lower(name);
  while (!n.empty() && n.back() == '.') n.pop_back();
  auto in = [&](const auto& list) { return std::find(list.begin(), list.end(), n) != list.end(); };
  return !in(excluded_hosts_) && in(hosts_);
}

std::vector<KeyTableEntry> OpendkimTables::keys_for(std::string_view from_address) const {
  std::string address = to_lower(from_address);
  auto at = address.rfind('@');
  std::string local = at == std::string::npos ? "" : address.substr(0, at);
  std::string domain = at == std::string::npos ? address : address.substr(at + 1);
  std::vector<std::string> names;
  auto take = [&](const SigningTableEntry& e) {
    if (std::find(names.begin(), names.end(), e.key_name) == names.end()) names.push_back(e.key_name);
    return !multiple_signatures;  // done after the first
  };
  // One lookup of a plain table: the entries of that key, in file order.
  auto lookup = [&](const std::string& key) {
    for (const auto& e : signing) {
      if (mail_equal(e.pattern, key) && take(e)) return true;
    }
    return false;
  };
  if (refile) {
    for (const auto& e : signing) {
      if (wildcard_match(e.pattern, address) && take(e)) break;
    }
  } else {
    std::vector<std::string> candidates = {local + "@" + domain, domain};
    for (auto dot = domain.find('.'); dot != std::string::npos; dot = domain.find('.', dot + 1)) {
      candidates.push_back(local + "@" + domain.substr(dot));
      candidates.push_back(domain.substr(dot));
    }
    candidates.push_back(local + "@*");
    candidates.push_back("*");
    for (const auto& candidate : candidates) {
      if (lookup(candidate)) break;
    }
  }
  // SubDomains (the [[sign.key]] table only): the parent domains, nearest first.
  for (std::string parent = domain; names.empty() && subdomains;) {
    auto dot = parent.find('.');
    if (dot == std::string::npos || parent.find('.', dot + 1) == std::string::npos) break;
    parent = parent.substr(dot + 1);
    if (lookup(parent)) break;
  }
  std::vector<KeyTableEntry> out;
  for (const auto& n : names) {
    auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.name == n; });
    if (it != keys.end()) out.push_back(*it);
  }
  return out;
}

bool is_table_file_spec(std::string_view item) {
  return item.substr(0, 1) == "/" || item.substr(0, 5) == "file:" || item.substr(0, 7) == "refile:";
}

std::string table_file_path(std::string_view spec, bool* refile) {
  *refile = spec.substr(0, 7) == "refile:";
  if (*refile) spec.remove_prefix(7);
  if (spec.substr(0, 5) == "file:") spec.remove_prefix(5);
  return std::string(spec);
}

std::optional<std::string> read_table_file(std::string_view spec, std::string* path, bool* refile,
                                           std::string& error) {
  *path = table_file_path(spec, refile);
  std::ifstream in(*path, std::ios::binary);
  if (!in) {
    error = *path + ": cannot read: " + std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace domainauth::config
