// Postfix tables named in domain lists (see postfix_tables.hpp). Table types
// from postconf(5) "lookup table types" and Postfix's DATABASE_README.
#include "setup/postfix_tables.hpp"

#include <algorithm>
#include <array>

#include "setup/postfix_config.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup {
namespace {

constexpr std::array<std::string_view, 6> kIndexed = {"hash", "btree", "lmdb", "cdb", "dbm", "sdbm"};

// Logical lines of a Postfix file: comments and blank lines dropped, a line
// starting with white space joined to the one before.
std::vector<std::string> logical_lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view content = text::trim_wsp(line);
    if (content.empty() || content.front() == '#') continue;
    if (text::is_wsp(line.front()) && !out.empty()) {
      out.back() += " " + std::string(content);
    } else {
      out.emplace_back(content);
    }
  }
  return out;
}

// inline:{ a, b = x, { c = text } }: the keys.
std::vector<std::string> inline_keys(std::string_view body) {
  body = text::trim_wsp(body);
  if (body.starts_with('{')) body.remove_prefix(1);
  if (body.ends_with('}')) body.remove_suffix(1);
  std::vector<std::string> out;
  const auto tokens = split_postfix_list(body);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::string_view token = tokens[i];
    if (token == "=") {
      ++i;  // "key = value": skip the value too
      continue;
    }
    if (token.starts_with('{')) {
      token.remove_prefix(1);
      if (token.ends_with('}')) token.remove_suffix(1);
    }
    const std::string_view key = text::trim_wsp(token.substr(0, token.find('=')));
    if (!key.empty()) out.emplace_back(key);
  }
  return out;
}

}  // namespace

bool is_postfix_table(std::string_view item) {
  return !item.empty() && (item.front() == '/' || item.find(':') != std::string_view::npos);
}

PostfixTable classify_postfix_table(std::string_view item) {
  PostfixTable t;
  t.name = std::string(item);
  if (item.starts_with('/')) {
    t.kind = PostfixTable::Kind::list_file;
    t.path = t.name;
    return t;
  }
  while (item.starts_with("proxy:")) item.remove_prefix(6);  // proxymap(8) reads the inner table
  const auto colon = item.find(':');
  t.type = text::to_lower(item.substr(0, colon));
  const std::string_view rest = colon == std::string_view::npos ? std::string_view{} : item.substr(colon + 1);
  if (t.type == "inline") {
    t.kind = PostfixTable::Kind::inline_keys;
    t.keys = inline_keys(rest);
  } else if (t.type == "static") {
    t.kind = PostfixTable::Kind::matches_all;
  } else if (t.type == "texthash" && !rest.empty()) {
    t.kind = PostfixTable::Kind::text_file;
    t.path = std::string(rest);
  } else if (!rest.empty() && std::find(kIndexed.begin(), kIndexed.end(), t.type) != kIndexed.end()) {
    t.kind = PostfixTable::Kind::postmap;
    t.path = std::string(rest);
  }
  return t;
}

std::vector<std::string> postfix_table_keys(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& line : logical_lines(text)) {
    const auto end = line.find_first_of(" \t");
    out.push_back(line.substr(0, end));
  }
  return out;
}

std::vector<std::string> postfix_list_file_items(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& line : logical_lines(text)) {
    for (auto& item : split_postfix_list(line)) out.push_back(std::move(item));
  }
  return out;
}

}  // namespace domainauth::setup
