// Postfix lookup tables where a domain list is expected (mydestination,
// virtual_alias_domains, virtual_mailbox_domains, relay_domains): what kind
// of table an item names and whether its keys can be listed (postmap -s for
// the indexed types, the file itself for texthash: and /file lists, the item
// itself for inline:), and the readers of those listings. Pure, fuzzed
// (tests/fuzz/setup); reads untrusted input: administrator files, postmap output.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace domainauth::setup {

struct PostfixTable {
  enum class Kind {
    postmap,      // hash, btree, lmdb, cdb, dbm, sdbm: `postmap -s TYPE:PATH` lists the keys
    text_file,    // texthash: the source file in postmap(5) syntax
    list_file,    // "/path": a file holding more list items (# comments)
    inline_keys,  // inline:{ ... }: the keys are in the item
    matches_all,  // static: every domain matches; there is no list
    unlistable,   // mysql:, pgsql:, ldap:, regexp:, pcre:, tcp:, ...: the keys cannot be listed
  };
  Kind kind = Kind::unlistable;
  std::string name;  // as written: "proxy:hash:/etc/postfix/vdomains"
  std::string type;  // "hash" (the inner type of proxy:)
  std::string path;  // postmap, text_file, list_file
  std::vector<std::string> keys;  // inline_keys
};

// Whether a list item names a table ("type:name" or "/path") rather than a domain.
[[nodiscard]] bool is_postfix_table(std::string_view item);

[[nodiscard]] PostfixTable classify_postfix_table(std::string_view item);

// The keys of a table source file (postmap(5): comments, blank lines, lines
// starting with white space continue the previous one; the key is the first
// word) or of `postmap -s` output (one "key value" per line).
[[nodiscard]] std::vector<std::string> postfix_table_keys(std::string_view text);

// The items of a "/file" list: lines without # comments, split as a list.
[[nodiscard]] std::vector<std::string> postfix_list_file_items(std::string_view text);

}  // namespace domainauth::setup
