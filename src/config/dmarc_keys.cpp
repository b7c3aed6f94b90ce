// The declared keys of [dmarc]: whether the milter enforces the DMARC policy of
// the From domain (RFC 7489 6.7 / RFC 9989 5.5 leave it to the receiver; the
// default follows OpenDMARC's RejectFailures = false: report only), the local
// overrides, the clients and senders never enforced, the Organizational Domain
// mode and where SPF comes from. resolve_dmarc then loads the public suffix
// list the rfc7489_psl mode needs.
#include <algorithm>
#include <array>

#include "config/key_table.hpp"
#include "text/ascii.hpp"

namespace domainauth::config::detail {
namespace {

// A list of domain names, lower case, one trailing dot dropped.
std::optional<std::string> to_domains(const toml::value& value, std::vector<std::string>& out) {
  out = strings(value);
  for (auto& name : out) {
    if (!name.empty() && name.back() == '.') name.pop_back();
    if (name.empty() || name.find_first_of(" \t\r\n@;,") != std::string::npos) {
      return "\"" + name + "\" is not a domain name";
    }
    name = text::to_lower(name);
  }
  return std::nullopt;
}

std::optional<std::string> to_mode(const toml::value& value, dmarc::OrgDomainMode& out) {
  const auto& text = value.as_string().str;
  if (text == "rfc9989_tree_walk") out = dmarc::OrgDomainMode::rfc9989_tree_walk;
  else if (text == "rfc7489_psl") out = dmarc::OrgDomainMode::rfc7489_psl;
  else return "must be \"rfc9989_tree_walk\" or \"rfc7489_psl\"";
  return std::nullopt;
}

std::optional<std::string> to_reject_text(const toml::value& value, std::string& out) {
  out = value.as_string().str;
  if (std::any_of(out.begin(), out.end(), text::is_control)) {
    return "must be one line of printable text";
  }
  return std::nullopt;
}

const std::array kKeys = {
    Key{"dmarc.enforce", Type::boolean, "false",
        "apply the From domain's DMARC policy (reject / quarantine) to failing mail; false: report only, "
        "as OpenDMARC's RejectFailures = false",
        [](Config& c, const toml::value& v) { return to_flag(v, c.dmarc.enforce); }},
    Key{"dmarc.reject_text", Type::string, "\"\"",
        "text of the 550 5.7.1 reply for p=reject; empty: one naming the From domain and its policy",
        [](Config& c, const toml::value& v) { return to_reject_text(v, c.dmarc.reject_text); }},
    Key{"dmarc.never_reject", Type::boolean, "false", "handle a reject disposition as quarantine",
        [](Config& c, const toml::value& v) { return to_flag(v, c.dmarc.never_reject); }},
    Key{"dmarc.quarantine_as_header", Type::boolean, "false",
        "quarantine by adding an X-DMARC-Quarantine header field instead of the milter quarantine "
        "(Postfix: the hold queue)",
        [](Config& c, const toml::value& v) { return to_flag(v, c.dmarc.quarantine_as_header); }},
    Key{"dmarc.exceptions", Type::string_list, "[]", "From domains whose policy is never enforced (reported only); exact names, case-insensitive, no subdomains",
        [](Config& c, const toml::value& v) { return to_domains(v, c.dmarc.exceptions); }},
    Key{"dmarc.ignore_authenticated_clients", Type::boolean, "true",
        "never enforce on SASL-authenticated clients (OpenDMARC IgnoreAuthenticatedClients); internal hosts "
        "(sign.internal_hosts) are never enforced",
        [](Config& c, const toml::value& v) { return to_flag(v, c.dmarc.ignore_authenticated_clients); }},
    Key{"dmarc.ignore_mail_from", Type::string_list, "[]",
        "From domains whose mail DMARC does not evaluate at all: no dmarc= result, no history row, no report, "
        "no enforcement (OpenDMARC IgnoreMailFrom, which despite its name matches the From: domain); exact "
        "names, case-insensitive, no subdomains",
        [](Config& c, const toml::value& v) { return to_domains(v, c.dmarc.ignore_mail_from); }},
    Key{"dmarc.required_headers", Type::boolean, "false",
        "reject (550 5.7.1) mail whose header breaks RFC 5322 3.6 as OpenDMARC's RequiredHeaders checks it: not "
        "exactly one From or Date field, a From with no usable domain, more than one Reply-To, To, Cc, Bcc, "
        "Message-ID, In-Reply-To, References or Subject field; internal and authenticated clients are not checked",
        [](Config& c, const toml::value& v) { return to_flag(v, c.dmarc.required_headers); }},
    Key{"dmarc.mode", Type::string, "\"rfc9989_tree_walk\"",
        "Organizational Domain: \"rfc9989_tree_walk\" (RFC 9989 DNS tree walk) or \"rfc7489_psl\" "
        "(public suffix list, dmarc.psl_file)",
        [](Config& c, const toml::value& v) { return to_mode(v, c.dmarc.mode); }},
    Key{"dmarc.psl_file", Type::string, "\"\"",
        "public suffix list for dmarc.mode = \"rfc7489_psl\"; empty: the system list (Debian publicsuffix)",
        [](Config& c, const toml::value& v) { return to_text(v, c.dmarc.psl_file); }},
    Key{"dmarc.spf_self_validate", Type::boolean, "true",
        "check SPF ourselves; false: take the SPF result from an Authentication-Results field of a "
        "dmarc.trusted_authserv_ids host (OpenDMARC SPFSelfValidate)",
        [](Config& c, const toml::value& v) { return to_flag(v, c.dmarc.spf_self_validate); }},
    Key{"dmarc.trusted_authserv_ids", Type::string_list, "[]",
        "authserv-ids whose Authentication-Results spf= result DMARC uses when dmarc.spf_self_validate is false",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.dmarc.trusted_authserv_ids = strings(v);
          for (const auto& id : c.dmarc.trusted_authserv_ids) {
            if (id.empty() || id.find_first_of(" \t\r\n;") != std::string::npos) {
              return "\"" + id + "\" is not an authserv-id";
            }
          }
          return std::nullopt;
        }},
};

}  // namespace

std::span<const Key> dmarc_keys() { return kKeys; }

void resolve_dmarc(DmarcSettings& settings, const ErrorSink& error) {
  settings.psl.reset();
  if (settings.mode == dmarc::OrgDomainMode::rfc7489_psl) {
    const std::string path = settings.psl_file.empty() ? std::string(dmarc::kSystemPublicSuffixList) : settings.psl_file;
    std::string why;
    settings.psl = dmarc::PublicSuffixList::load(path, why);
    if (!settings.psl) error(settings.psl_file.empty() ? "dmarc.mode" : "dmarc.psl_file", path + ": " + why, 0);
  }
  if (!settings.spf_self_validate && settings.trusted_authserv_ids.empty()) {
    error("dmarc.spf_self_validate", "false needs dmarc.trusted_authserv_ids (whose SPF result to take)", 0);
  }
}

}  // namespace domainauth::config::detail
