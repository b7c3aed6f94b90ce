// DMARC policy record: the model and its parser (RFC 7489 6.3/6.4, RFC 9989
// 4.7/4.8), including the reporting URIs of rua= and ruf= (RFC 7489 6.2). Reads
// untrusted input: the text of a TXT record found at _dmarc.<domain>.
//
// Both RFCs say that a record is only a DMARC record when "v=DMARC1" is its
// first tag, and that syntax errors in the rest of the record are discarded in
// favour of the defaults. So parse_record() gives either "not a DMARC record" or
// a Record; every value it had to discard is listed in Record::problems.
//
// Tags per mode (what evaluate() honours):
//   both:           v p sp adkim aspf rua ruf fo
//   RFC 7489 only:  pct rf ri        (retired by RFC 9989, appendix C.5.2)
//   RFC 9989 only:  np psd t         (RFC 7489 mode ignores them)
// All of them are parsed in both modes so a report can show what was published.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::dmarc {

// RFC 7489 6.3 p=/sp=, RFC 9989 4.7 p=/sp=/np=.
enum class Policy : std::uint8_t { none, quarantine, reject };
[[nodiscard]] std::string_view to_string(Policy policy);

// adkim= / aspf= (r / s).
enum class AlignmentMode : std::uint8_t { relaxed, strict };
[[nodiscard]] std::string_view to_string(AlignmentMode mode);

// RFC 9989 4.7 psd= (y / n / u).
enum class PsdFlag : std::uint8_t { unknown, yes, no };
[[nodiscard]] std::string_view to_string(PsdFlag flag);

// Limits on untrusted input.
inline constexpr std::size_t kMaxRecordLength = 4096;  // longer TXT text is not taken as a record
inline constexpr std::size_t kMaxReportUris = 8;        // per rua=/ruf= (RFC 7489 6.2: at least two)

// A policy tag (p, sp, np) keeps "absent" apart from "present but invalid":
// RFC 7489 6.6.3 step 6 and RFC 9989 4.10.1 treat an invalid one specially.
struct PolicyTag {
  bool present = false;
  std::optional<Policy> value;  // nullopt when absent or invalid
  [[nodiscard]] bool invalid() const { return present && !value; }
};

// One reporting URI of rua= / ruf= (RFC 7489 6.2, RFC 9989 4.8 obs-dmarc-uri).
struct ReportUri {
  std::string uri;                     // without the size suffix, as published
  std::string scheme;                  // lower case, e.g. "mailto"
  std::string mailbox;                 // mailto: the addr-spec (percent-decoded); empty otherwise
  std::optional<std::uint64_t> max_size;  // "!10m" -> 10 * 2^20 bytes
};

// fo= (RFC 7489 6.3): which failures to report.
struct FailureOptions {
  bool all_fail = true;   // 0: no aligned pass at all (the default)
  bool any_fail = false;  // 1: any mechanism without an aligned pass
  bool dkim = false;      // d: any DKIM signature failed
  bool spf = false;       // s: SPF failed
};

// Something the parser discarded: the tag, its value, and why.
struct TagProblem {
  std::string tag;
  std::string value;
  std::string problem;
};

struct Record {
  PolicyTag p, sp, np;
  AlignmentMode adkim = AlignmentMode::relaxed;
  AlignmentMode aspf = AlignmentMode::relaxed;
  int pct = 100;                          // RFC 7489 only
  std::vector<std::string> rf{"afrf"};    // RFC 7489 only
  std::uint32_t ri = 86400;               // RFC 7489 only
  FailureOptions fo;
  std::vector<ReportUri> rua, ruf;        // syntactically valid URIs only
  PsdFlag psd = PsdFlag::unknown;         // RFC 9989 only
  bool testing = false;                   // RFC 9989 t=y
  std::vector<TagProblem> problems;       // values discarded in favour of defaults
};

struct ParseResult {
  std::optional<Record> record;  // nullopt: not a DMARC record
  std::string reason;            // why not, when record is nullopt
};

// Parses one TXT record text (strings already concatenated, RFC 9989 4.5).
[[nodiscard]] ParseResult parse_record(std::string_view text);

// True when text starts with the v=DMARC1 tag (RFC 7489 6.6.3 step 2), i.e.
// when parse_record() would give a Record.
[[nodiscard]] bool is_dmarc_record(std::string_view text);

// One rua=/ruf= element ("mailto:a@example.com!10m"); nullopt with why when
// it is not a syntactically valid URI (RFC 3986) with an optional size.
[[nodiscard]] std::optional<ReportUri> parse_report_uri(std::string_view text, std::string& why);

}  // namespace domainauth::dmarc
