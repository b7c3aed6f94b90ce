// The declared keys of the milter: [milter] (listeners, timeouts, authserv-id,
// failure actions, header limits), [sign] (keys natively or through OpenDKIM's
// tables, internal hosts, canonicalization, signed and oversigned fields,
// expiry) and [verify] (RFC 8301 policy, signature cap). Files and keys named
// here are read afterwards by resolve_signing (signing.cpp).
#include <array>

#include "config/key_table.hpp"
#include "dkim/crypto.hpp"
#include "dkim/verifier.hpp"
#include "net/listen.hpp"

namespace domainauth::config {

std::string_view to_string(FailureAction action) {
  return action == FailureAction::tempfail ? "tempfail" : "accept";
}

namespace detail {

std::optional<std::string> to_flag(const toml::value& value, bool& out) {
  out = value.as_boolean();
  return std::nullopt;
}

std::optional<std::string> to_text(const toml::value& value, std::string& out) {
  out = value.as_string().str;
  return std::nullopt;
}

namespace {

constexpr std::int64_t kMaxHeaderFields = static_cast<std::int64_t>(mail::kMaxHeaderFields);
constexpr std::int64_t kMaxHeaderBytes = static_cast<std::int64_t>(mail::kMaxHeaderBytes);
constexpr std::int64_t kMaxSignatures = 100;
constexpr std::int64_t kMaxExpireSeconds = 366LL * 24 * 3600;
constexpr std::int64_t kMaxConnections = 1'000'000;

std::optional<std::string> to_action(const toml::value& value, FailureAction& out) {
  const auto& text = value.as_string().str;
  if (text == "tempfail") out = FailureAction::tempfail;
  else if (text == "accept") out = FailureAction::accept;
  else return "must be \"tempfail\" or \"accept\"";
  return std::nullopt;
}

std::optional<std::string> to_field_names(const toml::value& value, std::vector<std::string>& out) {
  out = strings(value);
  for (const auto& name : out) {
    if (name.empty() || name.find_first_of(": \t\r\n;") != std::string::npos) {
      return "\"" + name + "\" is not a header field name";
    }
  }
  return std::nullopt;
}

std::optional<std::string> to_native_key(const toml::value& entry, std::size_t index, NativeKey& key) {
  const std::string where = "entry " + std::to_string(index + 1) + ": ";
  for (const auto& [name, value] : entry.as_table()) {
    std::string* field = name == "domain"      ? &key.domain
                         : name == "selector"  ? &key.selector
                         : name == "key_file"  ? &key.key_file
                         : name == "algorithm" ? &key.algorithm
                                               : nullptr;
    if (field == nullptr) return where + "unknown key \"" + name + "\"";
    if (!value.is_string()) return where + name + " must be a string";
    *field = value.as_string().str;
  }
  if (key.domain.empty() || key.selector.empty() || key.key_file.empty()) {
    return where + "domain, selector and key_file are required";
  }
  if (!key.algorithm.empty() && !dkim::parse_algorithm(key.algorithm)) {
    return where + "algorithm must be \"rsa-sha256\" or \"ed25519-sha256\"";
  }
  key.line = entry.location().line();
  return std::nullopt;
}

std::optional<std::string> to_canonicalization(const toml::value& value, SignSettings& sign) {
  const auto& text = value.as_string().str;
  const auto slash = text.find('/');
  const auto header = mail::parse_canonicalization(text.substr(0, slash));
  const auto body = slash == std::string::npos ? std::optional{mail::Canonicalization::simple}
                                               : mail::parse_canonicalization(text.substr(slash + 1));
  if (!header || !body) return "must be \"simple\" or \"relaxed\", or HEADER/BODY such as \"relaxed/simple\"";
  sign.header_canon = *header;
  sign.body_canon = *body;
  return std::nullopt;
}

const std::array kKeys = {
    Key{"milter.listen", Type::string_list, "[\"inet:127.0.0.1:8891\"]",
        "milter listeners: \"inet:HOST:PORT\", \"inet:PORT@HOST\" (HOST an IP address or localhost), "
        "\"unix:PATH\" or \"local:PATH\" (Postfix: smtpd_milters = inet:127.0.0.1:8891)",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          std::vector<net::ListenAddress> parsed;
          if (auto error = to_listen(v, "a milter socket", parsed)) return error;
          c.milter.listen = strings(v);
          return std::nullopt;
        }},
    Key{"milter.socket_mode", Type::string, "\"0660\"", "permission bits (octal) of unix: milter sockets",
        [](Config& c, const toml::value& v) { return to_mode(v, c.milter.socket_mode); }},
    Key{"milter.socket_owner", Type::string, "\"\"", "owner (user name or uid) of unix: milter sockets; empty: unchanged",
        [](Config& c, const toml::value& v) { return to_text(v, c.milter.socket_owner); }},
    Key{"milter.socket_group", Type::string, "\"\"",
        "group (name or gid) of unix: milter sockets, e.g. \"postfix\"; empty: unchanged",
        [](Config& c, const toml::value& v) { return to_text(v, c.milter.socket_group); }},
    Key{"milter.idle_timeout", Type::seconds, "600", "seconds a milter connection may wait between commands",
        [](Config& c, const toml::value& v) { return to_duration(v, c.milter.idle_timeout); }},
    Key{"milter.stall_timeout", Type::seconds, "30",
        "seconds the MTA may take to send a packet, counted from its first byte (and to read a reply)",
        [](Config& c, const toml::value& v) { return to_duration(v, c.milter.stall_timeout); }},
    Key{"milter.max_connections", Type::integer, "1000",
        "MTA connections served at once (Postfix opens one per smtpd/cleanup process, 100 per service by "
        "default); a connection beyond them is closed at once and logged, so the MTA applies "
        "milter_default_action to it while the sessions in progress keep their descriptors",
        [](Config& c, const toml::value& v) { return to_count(v, kMaxConnections, c.milter.max_connections); }},
    Key{"milter.authserv_id", Type::string, "\"\"",
        "authserv-id of the Authentication-Results we add (and remove when forged); empty: the host name",
        [](Config& c, const toml::value& v) { return to_text(v, c.milter.authserv_id); }},
    Key{"milter.received_spf", Type::boolean, "false", "add a Received-SPF field to verified mail",
        [](Config& c, const toml::value& v) { return to_flag(v, c.milter.received_spf); }},
    Key{"milter.on_internal_error", Type::string, "\"tempfail\"",
        "\"tempfail\" or \"accept\": the answer when a message cannot be processed (never accept-and-drop)",
        [](Config& c, const toml::value& v) { return to_action(v, c.milter.on_internal_error); }},
    Key{"milter.on_dns_error", Type::string, "\"tempfail\"",
        "\"tempfail\" or \"accept\": the answer when spf, dkim or dmarc gives temperror (DNS failed or timed out)",
        [](Config& c, const toml::value& v) { return to_action(v, c.milter.on_dns_error); }},
    Key{"milter.max_headers", Type::integer, "1000",
        "header fields kept per message; a message with more is neither signed nor verified (dkim=permerror)",
        [](Config& c, const toml::value& v) { return to_count(v, kMaxHeaderFields, c.milter.max_headers); }},
    Key{"milter.max_header_bytes", Type::integer, "1048576",
        "bytes of header fields kept per message; a message with more is neither signed nor verified",
        [](Config& c, const toml::value& v) { return to_count(v, kMaxHeaderBytes, c.milter.max_header_bytes); }},
    Key{"sign.key", Type::table_list, "[]",
        "[[sign.key]] domain, selector, key_file (PEM), algorithm (optional): sign mail from domain "
        "(and its subdomains with sign.subdomains)",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          c.sign.native.clear();
          for (std::size_t i = 0; i < v.as_array().size(); ++i) {
            NativeKey key;
            if (auto error = to_native_key(v.as_array()[i], i, key)) return error;
            c.sign.native.push_back(std::move(key));
          }
          return std::nullopt;
        }},
    Key{"sign.keytable", Type::string, "\"\"", "OpenDKIM KeyTable file (\"NAME DOMAIN:SELECTOR:KEYFILE\" lines)",
        [](Config& c, const toml::value& v) { return to_text(v, c.sign.keytable); }},
    Key{"sign.signingtable", Type::string, "\"\"",
        "OpenDKIM SigningTable file; \"refile:PATH\" for wildcard patterns such as *@example.com",
        [](Config& c, const toml::value& v) { return to_text(v, c.sign.signingtable); }},
    Key{"sign.internal_hosts", Type::string_list, "[\"127.0.0.1\", \"::1\"]",
        "clients whose mail is signed (OpenDKIM InternalHosts): addresses, networks, host names, \"!\" to "
        "exclude, or files of them (\"/path\", \"file:/path\", \"refile:/path\")",
        [](Config& c, const toml::value& v) {
          c.sign.internal_hosts_spec = strings(v);
          return std::optional<std::string>{};
        }},
    Key{"sign.external_ignore", Type::string_list, "[]",
        "clients allowed to send as a signing domain without being signed, unlogged (OpenDKIM ExternalIgnoreList)",
        [](Config& c, const toml::value& v) {
          c.sign.external_ignore_spec = strings(v);
          return std::optional<std::string>{};
        }},
    Key{"sign.subdomains", Type::boolean, "false",
        "sign mail from subdomains of a [[sign.key]] domain with its key (OpenDKIM SubDomains, which applies to its "
        "Domain list only: a SigningTable decides for its own keys, as in OpenDKIM)",
        [](Config& c, const toml::value& v) { return to_flag(v, c.sign.subdomains); }},
    Key{"sign.multiple_signatures", Type::boolean, "false",
        "add a signature for every matching key, not only the first (OpenDKIM MultipleSignatures)",
        [](Config& c, const toml::value& v) { return to_flag(v, c.sign.multiple_signatures); }},
    Key{"sign.allow_group_readable_keys", Type::boolean, "false",
        "accept private key files readable by group or others",
        [](Config& c, const toml::value& v) { return to_flag(v, c.sign.allow_group_readable_keys); }},
    Key{"sign.canonicalization", Type::string, "\"relaxed/relaxed\"",
        "HEADER/BODY canonicalization of our signatures: simple or relaxed (RFC 6376 3.4)",
        [](Config& c, const toml::value& v) { return to_canonicalization(v, c.sign); }},
    Key{"sign.headers", Type::string_list, "[]", "header fields to sign when present; empty: a built-in list",
        [](Config& c, const toml::value& v) { return to_field_names(v, c.sign.headers); }},
    Key{"sign.oversign", Type::string_list, "[\"From\"]",
        "fields signed once more than present, so none can be added later (RFC 6376 8.15)",
        [](Config& c, const toml::value& v) { return to_field_names(v, c.sign.oversign); }},
    Key{"sign.expire", Type::integer, "0", "seconds after signing our signatures expire (x=); 0: never",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          const auto n = v.as_integer();
          if (n < 0 || n > kMaxExpireSeconds) return "must be between 0 and " + std::to_string(kMaxExpireSeconds);
          c.sign.expire = std::chrono::seconds(n);
          return std::nullopt;
        }},
    Key{"sign.request_reports", Type::boolean, "false",
        "add r=y to our signatures: verifiers that support RFC 6651 send failure reports to the address of the "
        "_report._domainkey record of each signing domain (init prints it, check checks it)",
        [](Config& c, const toml::value& v) { return to_flag(v, c.sign.request_reports); }},
    Key{"verify.max_signatures", Type::integer, "10", "DKIM signatures checked per message; later ones get policy",
        [](Config& c, const toml::value& v) { return to_count(v, kMaxSignatures, c.verify.max_signatures); }},
    Key{"verify.allow_rsa_sha1", Type::boolean, "false", "accept rsa-sha1 signatures (RFC 8301 forbids them)",
        [](Config& c, const toml::value& v) { return to_flag(v, c.verify.allow_rsa_sha1); }},
    Key{"verify.min_key_bits", Type::integer, "1024", "shortest RSA key accepted (RFC 8301 3.2: 1024)",
        [](Config& c, const toml::value& v) -> std::optional<std::string> {
          const auto n = v.as_integer();
          if (n < 512 || n > dkim::kMaxRsaBits) return "must be between 512 and " + std::to_string(dkim::kMaxRsaBits);
          c.verify.min_key_bits = static_cast<unsigned>(n);
          return std::nullopt;
        }},
};

}  // namespace

std::span<const Key> milter_keys() { return kKeys; }

}  // namespace detail
}  // namespace domainauth::config
