// The pure steps of the per-message pipeline (design.md "Data flow in the
// milter"), kept apart from the milter handler so they can be tested alone:
// who the client is (internal / authenticated: sign, else verify, as OpenDKIM's
// Mode sv), the header block kept within limits while forged
// Authentication-Results are spotted, which keys sign a message, the
// Authentication-Results field (RFC 8601) assembled from the SPF, DKIM and DMARC
// results, and what the MTA is told. Reads untrusted input: header fields, the
// envelope and DNS-derived results (every value reaches the A-R through the
// authres writer, which escapes it).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arc/validator.hpp"
#include "authres/authres.hpp"
#include "config/config.hpp"
#include "dkim/signer.hpp"
#include "dkim/verifier.hpp"
#include "dmarc/dmarc.hpp"
#include "mail/header.hpp"
#include "spf/spf.hpp"

namespace domainauth::engine {

// RFC 6008 2: header.b carries at least 8 characters of b= (more when two
// signatures share the prefix, up to kMaxHeaderB).
inline constexpr std::size_t kHeaderBPrefix = 8;
inline constexpr std::size_t kMaxHeaderB = 64;
// The text of the dkim= entries listed one by one in Authentication-Results.
inline constexpr std::size_t kMaxDkimResultsText = 8192;

struct Client {
  std::optional<net::IpAddress> ip;  // none for a unix-socket or unknown client
  std::string hostname;              // as the MTA names it ("[192.0.2.1]" when unknown)
  std::string auth_user;             // SASL login ({auth_authen}); empty: not authenticated
};

struct Origin {
  bool internal = false;       // in sign.internal_hosts
  bool authenticated = false;  // SASL login
  bool ignored = false;        // in sign.external_ignore
  // OpenDKIM Mode sv: mail from originators is signed, the rest verified.
  [[nodiscard]] bool originator() const { return internal || authenticated; }
};
[[nodiscard]] Origin classify_client(const config::SignSettings& sign, const Client& client);

// "<a@example.com>" -> "a@example.com"; "<>" -> "".
[[nodiscard]] std::string envelope_address(std::string_view address);

// The header block of one message, kept within the configured limits. Fields
// arrive as they stand in the message (CRLF folds, byte-exact for DKIM simple
// canonicalization). Authentication-Results fields carrying our authserv-id are
// noted (their index among fields of that name) even past the limits, so they
// can always be removed.
// The fields RFC 5322 3.6 allows once at most (From and Date exactly once), as
// OpenDMARC's RequiredHeaders counts them.
inline constexpr std::array<std::string_view, 10> kCountedFields = {
    "From", "Date", "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To", "References", "Subject"};

class HeaderBlock {
 public:
  static constexpr std::size_t kKeptFromFields = 8;  // more than one is already a verdict

  HeaderBlock(std::string authserv_id, std::size_t max_fields, std::size_t max_bytes)
      : authserv_id_(std::move(authserv_id)), max_fields_(max_fields), max_bytes_(max_bytes) {}

  void add(mail::HeaderField field);

  [[nodiscard]] bool over_limit() const { return over_limit_; }
  [[nodiscard]] const std::vector<mail::HeaderField>& fields() const { return fields_; }
  [[nodiscard]] std::size_t signatures() const { return signatures_; }  // DKIM-Signature fields
  // The value of every From field, kept even past the limits (DMARC must judge
  // the message whatever they cut): at most kKeptFromFields, each cut one octet
  // past dmarc::kMaxFromFieldLength so that an over-long one still reads as such.
  [[nodiscard]] const std::vector<std::string>& from_values() const { return from_; }
  // How many fields of each kCountedFields name the message has, past the limits too.
  [[nodiscard]] std::uint32_t count(std::size_t counted_index) const { return counts_.at(counted_index); }
  // The forged fields to delete: 1-based indexes among Authentication-Results
  // fields, highest first so that no deletion shifts the index of a later one.
  [[nodiscard]] std::vector<std::uint32_t> forged() const;
  // The fields as they leave: without the forged ones.
  [[nodiscard]] std::vector<mail::HeaderField> delivered_fields() const;

 private:
  [[nodiscard]] bool ours(std::string_view name, std::string_view value) const;  // an A-R of our authserv-id

  std::string authserv_id_;
  std::size_t max_fields_;
  std::size_t max_bytes_;
  std::vector<mail::HeaderField> fields_;
  std::size_t bytes_ = 0;
  bool over_limit_ = false;
  std::size_t signatures_ = 0;
  std::uint32_t authres_seen_ = 0;
  std::vector<std::uint32_t> forged_;  // 1-based indexes among Authentication-Results fields
  std::vector<std::string> from_;
  std::array<std::uint32_t, kCountedFields.size()> counts_{};
};

// What signing decided at end of headers.
struct SignPlan {
  std::vector<dkim::SignRequest> requests;  // empty: the message is verified instead
  std::string note;                         // why not, for the log (empty when signing or not an originator)
};
// The message's From, read once at end of headers and used by signing, DMARC
// and the ignore list alike.
struct Sender {
  dmarc::Author author;
  // The From address the signing tables are searched with ("local@domain"), or
  // nothing when the message has not exactly one From field with one domain.
  std::optional<std::string> address;
};
// from_values: HeaderBlock::from_values().
[[nodiscard]] Sender sender_of(const std::vector<std::string>& from_values);
// Keys by the From address (sender_of's address), for originators only; the
// request carries the configured canonicalization, fields, oversigning and x=.
[[nodiscard]] SignPlan plan_signing(const config::SignSettings& sign, const Origin& origin,
                                    const std::optional<std::string>& address);

// Everything known about a verified message at end of message.
struct Results {
  std::optional<spf::Outcome> spf;  // none: SPF not checked (originator, or no client address)
  std::string mail_from;            // envelope sender, without <>
  std::string helo;
  std::vector<dkim::SignatureResult> dkim;  // empty: no signature (dkim=none)
  std::string dkim_error;                   // set: the message could not be checked (dkim=permerror)
  std::optional<dmarc::SpfInput> upstream_spf;  // dmarc.spf_self_validate = false: from a trusted A-R
  std::optional<dmarc::Outcome> dmarc;
  // The disposition applied after the local overrides (applied_disposition of
  // dmarc_decision.hpp), reported as dis= as OpenDMARC does; none until decided.
  dmarc::Policy applied = dmarc::Policy::none;
  std::optional<arc::ChainResult> arc;  // none: ARC not checked (no arc= result)
};

// dmarc.spf_self_validate = false (OpenDMARC SPFSelfValidate off): the spf=
// result of the topmost Authentication-Results field whose authserv-id is one
// of trusted_ids (RFC 8601 5: only those are believed), with the domain of its
// smtp.mailfrom (or smtp.helo). Nothing when no trusted field has an spf result.
[[nodiscard]] std::optional<dmarc::SpfInput> upstream_spf(const std::vector<mail::HeaderField>& headers,
                                                        const std::vector<std::string>& trusted_ids);

[[nodiscard]] dmarc::Message dmarc_input(const Results& results, dmarc::Author author);
[[nodiscard]] authres::Field authentication_results(std::string_view authserv_id, const Results& results);
// The same results one method per field (RFC 6591 3.1: a failure report's
// Authentication-Results reflects a single method), on one line each.
struct SingleMethodResults {
  std::string spf;                // empty when SPF was not checked
  std::vector<std::string> dkim;  // one per signature (one "dkim=none"/"permerror" entry without)
  std::string dmarc;              // empty without a DMARC outcome
};
[[nodiscard]] SingleMethodResults single_method_results(std::string_view authserv_id, const Results& results);
// dmarc.required_headers (OpenDMARC RequiredHeaders): why the header breaks
// RFC 5322 3.6 ("2 Date fields", "no From field", "a From field with no
// usable domain"), or "" when it does not. author: sender_of's.
[[nodiscard]] std::string required_headers_problem(const HeaderBlock& headers, const dmarc::Author& author);

// A temperror the MTA should hear about (milter.on_dns_error): SPF or DMARC
// temperror, or a DKIM temperror when no signature passed.
[[nodiscard]] bool has_temperror(const Results& results);

// An SMTP reply the MTA is to give (RFC 5321 code, RFC 3463 enhanced status).
struct SmtpReply {
  unsigned code = 0;
  std::string status;
  std::string text;
};
// The replies for milter.on_internal_error / on_dns_error = tempfail.
[[nodiscard]] SmtpReply internal_error_reply();
[[nodiscard]] SmtpReply dns_error_reply();

// "spf=pass dkim=pass,fail dmarc=pass" for the log line.
[[nodiscard]] std::string summary(const Results& results);

}  // namespace domainauth::engine
