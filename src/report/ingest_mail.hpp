// Finding the reports in what `report ingest` is given: aggregate report
// documents in a
// file (.xml, .xml.gz, .zip: told apart by content, not by name) or a report
// mail (RFC 9990 3.5 / RFC 7489 7.2.1.1) whatever MIME labels its sender
// uses: application/gzip, application/x-gzip, application/zip,
// application/x-zip-compressed, text/xml, application/xml, or
// application/octet-stream with a file name; and SMTP TLS reports (RFC 8460
// 5.3: application/tlsrpt+json, application/tlsrpt+gzip, .json, .json.gz); base64, quoted-printable or no
// transfer encoding; multipart nested up to a limit. And failure reports
// (RFC 6591 / RFC 5965 2): in a multipart/report with
// report-type=feedback-report, its message/feedback-report part and the
// header block of its message/rfc822 or text/rfc822-headers part, read by
// report/ingest_failure.hpp. Reads untrusted input: the whole message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "report/unpack.hpp"

namespace domainauth::report {

inline constexpr std::size_t kMaxMimeDepth = 8;    // nested multiparts
inline constexpr std::size_t kMaxMimeParts = 100;  // parts looked at in one message
inline constexpr std::size_t kMaxFeedbackPart = 64 * 1024;   // a message/feedback-report part, decoded
inline constexpr std::size_t kMaxOriginalHeader = 64 * 1024;  // the original's header block kept (cut at a line)

struct Document {
  std::string name;  // the attachment's or zip member's file name, or the file's
  std::string text;  // the document: aggregate report XML, or TLS report JSON
};

// The parts of one RFC 6591 failure report (multipart/report; report-type=feedback-report).
struct Feedback {
  std::string report_from;  // the From field of the mail the report came in (unfolded), "" when none
  std::string fields;       // the message/feedback-report part, decoded
  std::string original;     // the third part's header block (at most kMaxOriginalHeader), "" when absent
};

struct Extracted {
  std::vector<Document> documents;
  std::vector<Feedback> feedback;
  std::vector<std::string> errors;  // attachments that looked like reports and could not be read
};

[[nodiscard]] Extracted documents_from_file(std::string_view name, std::string_view data,
                                            const UnpackLimits& limits = {});
// No document, no feedback and no error: the message carries nothing that looks like a report.
[[nodiscard]] Extracted documents_from_mail(std::string_view message, const UnpackLimits& limits = {});

}  // namespace domainauth::report
