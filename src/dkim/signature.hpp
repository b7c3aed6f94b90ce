// The DKIM-Signature header field: parse with the checks of RFC 6376 3.5 and
// 6.1.1, and write (folded) for the signer. Reads untrusted input: the field
// value from a received message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/crypto.hpp"
#include "mail/canonicalize.hpp"
#include "mail/header.hpp"

namespace domainauth::dkim {

inline constexpr std::string_view kSignatureField = "DKIM-Signature";
inline constexpr std::size_t kMaxSignedHeaders = 256;  // h= entries

struct Signature {
  Algorithm algorithm = Algorithm::rsa_sha256;
  std::string algorithm_text;  // a= as written (reported even when unknown)
  std::string b;               // decoded signature
  std::string b_text;          // b= as written, FWS removed (for header.b)
  std::string bh;              // decoded body hash
  mail::Canonicalization header_canon = mail::Canonicalization::simple;
  mail::Canonicalization body_canon = mail::Canonicalization::simple;
  std::string domain;                  // d=
  std::vector<std::string> headers;    // h=, as written
  std::string identity;                // i= decoded; "@" + d when absent
  std::optional<std::uint64_t> length; // l=
  std::string selector;                // s=
  std::optional<std::uint64_t> timestamp;   // t=
  std::optional<std::uint64_t> expiration;  // x=
  std::vector<std::string> copied_headers;  // z=, decoded
  bool reports_requested = false;           // r=y: RFC 6651 3.1 failure reports asked for
};

struct ParsedSignature {
  Signature signature;  // filled as far as parsing got (d= and s= for reports)
  std::string error;    // empty when valid; else why (a permerror)

  [[nodiscard]] bool ok() const { return error.empty(); }
};

// Which field the tag-list comes from. RFC 8617 4.1.2: an ARC-Message-Signature
// has the DKIM-Signature tags except v=, its i= is the ARC instance (read by
// arc/), and its h= need not list From (empty names in h=, or an empty h=,
// name no field).
enum class SignatureKind { dkim, arc_message_signature };

// RFC 6376 3.5 + 6.1.1: required tags, v=1, known a= and c=, q=dns/txt,
// i= within d=, h= holds From, x= after t=, sane numbers and base64.
[[nodiscard]] ParsedSignature parse_signature(std::string_view value, SignatureKind kind = SignatureKind::dkim);

// The field with the value of its b= tag removed (RFC 6376 3.7: what is hashed).
[[nodiscard]] mail::HeaderField without_b_value(const mail::HeaderField& field);

// The domain part of an identity ("user@sub.example.com" -> "sub.example.com").
[[nodiscard]] std::string_view identity_domain(std::string_view identity);
// d equals domain or is a parent of it (case-insensitive).
[[nodiscard]] bool is_within(std::string_view domain, std::string_view d);

// RFC 6376 2.11 dkim-quoted-printable.
[[nodiscard]] std::optional<std::string> decode_quoted_printable(std::string_view text);
[[nodiscard]] std::string encode_quoted_printable(std::string_view text);

// Writes a tag-list field folded at about 78 columns with CRLF TAB: tags are
// "name=value;" items; a base64 value (b=) starts its own line and fills the
// following ones (RFC 6376 3.5: FWS inside it is ignored). Shared with ARC.
class FoldedTagWriter {
 public:
  explicit FoldedTagWriter(std::string_view field_name);
  void tag(std::string_view item);
  void base64(std::string_view name, std::string_view value, std::string_view after = "");
  [[nodiscard]] std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::size_t column_ = 0;
};

// Writes "DKIM-Signature: v=1; a=...; ...; b=<value>" folded at about 78 columns
// with CRLF TAB, b= last; an empty b gives "b=" (the form the signer hashes).
// The result has no final CRLF.
[[nodiscard]] std::string format_signature(const Signature& signature, bool with_identity);
// The same in two steps: the field up to and including "b=" (the signature's
// b is ignored; this is the form the signer hashes), then b base64-encoded and
// appended in pieces that fill each line.
[[nodiscard]] std::string format_signature_head(const Signature& signature, bool with_identity);
void append_folded_b(std::string& head, std::string_view b);

}  // namespace domainauth::dkim
