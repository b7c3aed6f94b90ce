// DKIM failure reporting (RFC 6651): the reporting record a signing domain
// publishes at _report._domainkey.<d> (ra=, rp=, rr=, rs=; section 3.2), the
// classes of signature failure its rr= asks reports for, and which failures a
// record asks for. Pure parser; reads untrusted input: DNS TXT data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dkim/record_lookup.hpp"
#include "dns/resolver.hpp"

namespace domainauth::dkim {

inline constexpr std::string_view kReportRecordPrefix = "_report._domainkey.";

// Why a signature failed, as RFC 6651 rr= and RFC 6591 Auth-Failure tell them apart.
enum class Failure : std::uint8_t {
  none,       // the signature did not fail (or failed for a reason never reported: temperror, local policy)
  body_hash,  // bh= did not match the body (rr=v; Auth-Failure: bodyhash)
  signature,  // b= did not verify (rr=v)
  syntax,     // the DKIM-Signature field is malformed, l= beyond the body (rr=s)
  expired,    // x= passed (rr=x)
  dns,        // no key record, or one that does not parse (rr=d)
  revoked,    // the key record's p= is empty (rr=o; Auth-Failure: revoked)
  other,      // the key cannot check this signature: type, h=, t=s (rr=o)
};

// The rr= token of a failure ("v", "s", ...), "" for none.
[[nodiscard]] std::string_view rr_token(Failure failure);

struct ReportRecord {
  std::string address;        // ra=: the local-part; reports go to <ra>@<d>
  unsigned percent = 100;     // rp=: share of failures to report (0-100)
  std::uint8_t requested = 0; // rr=: bit (1 << Failure) for each class asked for
  std::string smtp_text;      // rs=: text for an SMTP rejection (decoded)

  [[nodiscard]] bool requests(Failure failure) const;
};

struct ParsedReportRecord {
  ReportRecord record;
  std::string error;  // empty when the record is usable

  [[nodiscard]] bool ok() const { return error.empty(); }
};

// RFC 6651 3.2: tag-list syntax (RFC 6376 3.2); ra= present, dkim-quoted-printable,
// a dot-atom local-part (a "@domain" part is dropped, as OpenDKIM does: the domain
// is always d=); rp= 0-100 (default 100); rr= a colon-separated list of all, d, o,
// p, s, u, v, x (default all; p and u concern ADSP and match no signature failure);
// rs= dkim-quoted-printable, printable. Unknown tags are ignored.
[[nodiscard]] ParsedReportRecord parse_report_record(std::string_view text);

// The reporting record from a DNS answer (of several TXT records the first that
// parses, as for key records), or why there is none; transient marks a
// temporary failure.
using ReportLookup = RecordLookup<ReportRecord>;
[[nodiscard]] ReportLookup report_record_from_answer(const dns::Answer& answer);

}  // namespace domainauth::dkim
