// The declared keys of [arc]: ARC sealing (RFC 8617 5.1) of the mail the milter
// verifies, for a host that passes mail on (aliases, mailing lists), so the
// next receiver can trust the results seen here. resolve_arc loads the key.
// Reads the PEM key file named by the administrator.
#include <array>

#include "config/key_table.hpp"
#include "text/ascii.hpp"

namespace domainauth::config::detail {
namespace {

const std::array kKeys{
    Key{"arc.seal", Type::boolean, "false",
        "add an ARC set (RFC 8617: ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results) to the mail the "
        "milter verifies; for a host that forwards mail on (aliases, lists)",
        [](Config& c, const toml::value& v) { return to_flag(v, c.arc.seal); }},
    Key{"arc.domain", Type::string, "\"\"", "d= of the ARC sets (needed with arc.seal)",
        [](Config& c, const toml::value& v) { return to_text(v, c.arc.domain); }},
    Key{"arc.selector", Type::string, "\"\"",
        "s= of the ARC sets: the public key is the TXT record <selector>._domainkey.<domain>, as for DKIM",
        [](Config& c, const toml::value& v) { return to_text(v, c.arc.selector); }},
    Key{"arc.key", Type::string, "\"\"",
        "PEM file of the RSA private key the sets are signed with (`domainauth dkim keygen` writes one); refused "
        "when readable by group or others unless sign.allow_group_readable_keys",
        [](Config& c, const toml::value& v) { return to_text(v, c.arc.key_file); }},
};

}  // namespace

std::span<const Key> arc_keys() { return kKeys; }

void resolve_arc(ArcSettings& arc, bool allow_group_readable, const ErrorSink& error) {
  arc.key.reset();
  if (!arc.seal) return;
  bool complete = true;
  for (const auto& [name, value] : {std::pair{"arc.domain", &arc.domain}, std::pair{"arc.selector", &arc.selector},
                                    std::pair{"arc.key", &arc.key_file}}) {
    if (value->empty()) {
      error("arc.seal", std::string(name) + " must be set too", 0);
      complete = false;
    }
  }
  if (!complete) return;
  std::string why;
  auto key = dkim::PrivateKey::load_file(arc.key_file, allow_group_readable, &why);
  if (!key) {
    error("arc.key", why, 0);
    return;
  }
  if (key->type() != dkim::KeyType::rsa) {
    error("arc.key", arc.key_file + ": ARC sets are sealed with rsa-sha256, what ARC verifiers check; use an RSA key",
          0);
    return;
  }
  arc.domain = text::to_lower(arc.domain);
  arc.key = std::move(*key);
}

}  // namespace domainauth::config::detail
