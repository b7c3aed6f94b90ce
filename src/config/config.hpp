// domainauth.toml: the configuration model and its loader. Every key is declared
// once in a table (name, type, default, doc) in config.cpp; later features add
// keys there. Every key is optional; a missing file section means its defaults.
// Reads an untrusted-ish file written by the administrator: every value is type-
// and range-checked at start, unknown keys are errors, and each error names
// file:line:key.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/opendkim_tables.hpp"
#include "dkim/crypto.hpp"
#include "dkim/verifier.hpp"
#include "dmarc/dmarc.hpp"
#include "mail/canonicalize.hpp"
#include "net/address.hpp"
#include "net/listen.hpp"
#include "report/aggregate.hpp"
#include "report/submit.hpp"
#include "spf/decision.hpp"
#include "store/settings.hpp"

namespace domainauth::config {

enum class LogTarget : std::uint8_t { stderr_stream, syslog };
enum class LogLevel : std::uint8_t { debug, info, warning, error };

struct DnsSettings {
  std::vector<std::string> servers;  // "HOST[:PORT]"; empty: the system resolv.conf
  std::chrono::milliseconds timeout{5000};
  friend bool operator==(const DnsSettings&, const DnsSettings&) = default;
};

struct PolicySettings {
  std::vector<net::ListenAddress> listen;  // HOST may be a name: looked up when bound
  unsigned socket_mode = 0;  // permission bits of unix: sockets
  std::chrono::milliseconds idle_timeout{0};     // between requests
  std::chrono::milliseconds request_timeout{0};  // from a request's first byte to its end
  std::size_t cache_size = 0;                    // instances remembered
  std::size_t max_connections = 0;
};

struct SpfSettings {
  spf::Policy policy;
  std::vector<net::Network> skip_addresses;
  bool skip_authenticated = true;
  bool received_spf = true;
  std::string receiver;     // the host name when not configured
  std::string explanation;  // empty: the SPF module's default explanation

  // The check_host() options these settings give (milter, policy service, verify).
  [[nodiscard]] spf::Options check_options() const;
};

struct DaemonSettings {
  std::string user;      // drop root to this user after binding; empty: stay
  std::string pid_file;  // empty: none
  LogTarget log = LogTarget::stderr_stream;
  LogLevel log_level = LogLevel::info;
};

// What the milter answers when it cannot finish its work on a message.
enum class FailureAction : std::uint8_t {
  tempfail,  // 4xx: the sender retries (mail is never lost)
  accept,    // let it through with what is known (temperror in Authentication-Results)
};
[[nodiscard]] std::string_view to_string(FailureAction action);

struct MilterSettings {
  std::vector<std::string> listen;  // as written: net::ListenAddress forms whose HOST is an IP address or localhost
  unsigned socket_mode = 0;         // unix: sockets
  std::string socket_owner;         // unix: sockets; empty: unchanged
  std::string socket_group;
  std::chrono::milliseconds idle_timeout{0};   // no command from the MTA: close
  std::chrono::milliseconds stall_timeout{0};  // a packet or reply unfinished: close
  std::string authserv_id;                     // RFC 8601 authserv-id; the host name when not configured
  bool received_spf = false;                   // add Received-SPF to verified mail
  FailureAction on_internal_error = FailureAction::tempfail;
  FailureAction on_dns_error = FailureAction::tempfail;  // a temperror in spf, dkim or dmarc
  std::size_t max_headers = 0;                 // header fields kept per message
  std::size_t max_header_bytes = 0;            // bytes of header fields kept per message
  std::size_t max_connections = 0;             // MTA connections at once; beyond: closed at once
};

// A [[sign.key]] entry as written.
struct NativeKey {
  std::string domain;
  std::string selector;
  std::string key_file;
  std::string algorithm;  // empty, or the one the key must have ("rsa-sha256", "ed25519-sha256")
  std::uint_least32_t line = 0;
};

// A private key loaded at start (or reload), named as the signing tables name it.
struct SigningKey {
  std::string name;
  std::string domain;    // d=
  std::string selector;  // s=
  dkim::PrivateKey key;
};

struct SignSettings {
  // As written.
  std::vector<NativeKey> native;
  std::string keytable;      // OpenDKIM KeyTable file; empty: none
  std::string signingtable;  // OpenDKIM SigningTable file ("refile:" for wildcards); empty: none
  std::vector<std::string> internal_hosts_spec;  // addresses, networks, names, or files ("/...", "file:", "refile:")
  std::vector<std::string> external_ignore_spec;
  bool subdomains = false;
  bool multiple_signatures = false;
  bool allow_group_readable_keys = false;
  mail::Canonicalization header_canon = mail::Canonicalization::relaxed;
  mail::Canonicalization body_canon = mail::Canonicalization::relaxed;
  std::vector<std::string> headers;   // fields to sign; empty: the built-in list
  std::vector<std::string> oversign;  // fields listed once more than present
  std::chrono::seconds expire{0};     // x= = t= + expire; 0: no x=
  bool request_reports = false;       // r=y: ask verifiers for RFC 6651 failure reports

  // Resolved from the above when the file is loaded.
  OpendkimTables native_table;  // [[sign.key]] as a plain table: domain -> key
  OpendkimTables tables;        // KeyTable + SigningTable
  std::vector<SigningKey> keys; // every key either table names, loaded
  HostList internal_hosts;      // sign their mail (OpenDKIM InternalHosts)
  HostList external_ignore;     // no "external host sent as a signing domain" log (ExternalIgnoreList)

  // The keys to sign mail from this author address with: [[sign.key]] first,
  // then the OpenDKIM tables; one key unless multiple_signatures.
  [[nodiscard]] std::vector<const SigningKey*> keys_for(std::string_view from_address) const;
  [[nodiscard]] bool can_sign() const { return !keys.empty(); }
};

struct VerifySettings {
  std::size_t max_signatures = 0;
  bool allow_rsa_sha1 = false;
  unsigned min_key_bits = 0;

  // The verifier options these settings give (milter, verify).
  [[nodiscard]] dkim::VerifyOptions options() const;
};

// [report]: who the aggregate reports say they come from (RFC 9990 3.1.1).
struct ReportSettings {
  std::string org_name;  // report_metadata org_name and the file name's receiver; the host name when empty
  std::string email;     // report_metadata email; postmaster@<host name> when empty
  report::Relay relay;   // the SMTP relay reports are submitted to
  report::Format format = report::Format::rfc9990;  // the aggregate report document
};

// [dmarc]: enforcement of the domain owner's policy in the milter (OpenDMARC's
// RejectFailures, IgnoreAuthenticatedClients, IgnoreMailFrom, SPFSelfValidate
// and TrustedAuthservIDs equivalents) and how the Organizational Domain is found.
struct DmarcSettings {
  bool enforce = false;               // false: report only (dmarc= in Authentication-Results)
  std::string reject_text;            // empty: a built-in text naming the From domain and the policy
  bool never_reject = false;          // a reject disposition is handled as quarantine
  bool quarantine_as_header = false;  // quarantine: a header mark instead of the milter quarantine
  std::vector<std::string> exceptions;        // From domains never enforced (lower case, exact match)
  bool ignore_authenticated_clients = true;   // SASL-authenticated clients are never enforced
  // From domains (OpenDMARC IgnoreMailFrom: "based on the From: domain") whose
  // mail DMARC does not evaluate (lower case, exact match)
  std::vector<std::string> ignore_mail_from;
  bool required_headers = false;  // OpenDMARC RequiredHeaders: reject mail not RFC 5322 3.6 conformant
  dmarc::OrgDomainMode mode = dmarc::OrgDomainMode::rfc9989_tree_walk;
  std::string psl_file;                       // rfc7489_psl: the public suffix list file
  std::shared_ptr<const dmarc::PublicSuffixList> psl;  // loaded from psl_file in rfc7489_psl mode
  bool spf_self_validate = true;              // false: SPF from an upstream Authentication-Results
  std::vector<std::string> trusted_authserv_ids;
};

// [failure_reports]: DMARC failure reports (RFC 9991 / RFC 6591) sent by the
// milter to the ruf= addresses (OpenDMARC's FailureReports, FailureReportsBcc
// and FailureReportsSentBy equivalents); sent through [report] relay.
struct FailureReportSettings {
  bool enabled = false;           // DMARC failure reports; as OpenDMARC's FailureReports default
  bool dkim = false;              // DKIM failure reports (RFC 6651); as OpenDKIM's SendReports default
  std::string sent_by;            // From: of the reports; empty: report.email, else postmaster@<host name>
  std::string dkim_sent_by;       // From: of DKIM failure reports (OpenDKIM ReportAddress); empty: as sent_by
  std::vector<std::string> bcc;   // addr-specs that get a copy of every DMARC failure report
  std::vector<std::string> dkim_bcc;  // the same for DKIM failure reports (OpenDKIM ReportBccAddress)
  bool redact = true;             // RFC 6590: local-parts replaced by keyed tokens, never the body
  bool include_body = false;      // the body too (message/rfc822) when not redacting and small enough
  std::size_t rate_limit = 10;    // reports per reported (From) domain per hour
  std::size_t queue_limit = 100;  // reports waiting for the relay at most; beyond: dropped and counted
  std::chrono::milliseconds shutdown_timeout{5000};  // at exit: to submit what is queued; the rest dropped
  friend bool operator==(const FailureReportSettings&, const FailureReportSettings&) = default;
};

// [arc]: ARC sealing (RFC 8617 5.1) of the mail the milter verifies, for a
// host that forwards mail on (aliases, lists).
struct ArcSettings {
  bool seal = false;
  std::string domain;    // d= (lower case)
  std::string selector;  // s=
  std::string key_file;
  std::optional<dkim::PrivateKey> key;  // loaded from key_file when seal is on
};

// [web]: the HTTP listener of `serve` (/metrics). Off with no listen address.
struct WebSettings {
  std::vector<net::ListenAddress> listen;
  std::string token;  // empty: none; then only loopback and unix: addresses are allowed
};

struct Config {
  DnsSettings dns;
  PolicySettings policy;
  SpfSettings spf;
  DaemonSettings daemon;
  MilterSettings milter;
  SignSettings sign;
  VerifySettings verify;
  store::Settings store;
  ReportSettings report;
  DmarcSettings dmarc;
  FailureReportSettings failure_reports;
  ArcSettings arc;
  WebSettings web;
};

// One declared key, for documentation (`--help`, docs) and for the loader.
struct KeyInfo {
  std::string_view name;           // dotted: "policy.listen"
  std::string_view type;           // "string", "bool", "integer", "seconds", "list of strings"
  std::string_view default_value;  // as TOML text
  std::string_view doc;
};
[[nodiscard]] std::vector<KeyInfo> keys();

struct LoadResult {
  std::optional<Config> config;     // set when there are no errors
  std::vector<std::string> errors;  // "FILE:LINE: KEY: what is wrong", in line order
};

// The embedded defaults (what an empty file gives).
[[nodiscard]] Config defaults();
[[nodiscard]] LoadResult load_file(const std::string& path);
// file_name only labels errors.
[[nodiscard]] LoadResult load_string(std::string_view text, const std::string& file_name);

[[nodiscard]] std::string_view to_string(LogLevel level);

// This host's name (gethostname), "localhost" when it has none.
[[nodiscard]] std::string host_name();

}  // namespace domainauth::config
