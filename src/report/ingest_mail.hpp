// Finding the aggregate report documents in what `report ingest` is given: a
// file (.xml, .xml.gz, .zip: told apart by content, not by name) or a report
// mail (RFC 9990 3.5 / RFC 7489 7.2.1.1) whatever MIME labels its sender
// uses: application/gzip, application/x-gzip, application/zip,
// application/x-zip-compressed, text/xml, application/xml, or
// application/octet-stream with a file name; base64, quoted-printable or no
// transfer encoding; multipart nested up to a limit. Reads untrusted input:
// the whole message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "report/unpack.hpp"

namespace domainauth::report {

inline constexpr std::size_t kMaxMimeDepth = 8;    // nested multiparts
inline constexpr std::size_t kMaxMimeParts = 100;  // parts looked at in one message

struct Document {
  std::string name;  // the attachment's or zip member's file name, or the file's
  std::string xml;
};

struct Extracted {
  std::vector<Document> documents;
  std::vector<std::string> errors;  // attachments that looked like reports and could not be read
};

[[nodiscard]] Extracted documents_from_file(std::string_view name, std::string_view data,
                                            const UnpackLimits& limits = {});
// No document and no error: the message carries nothing that looks like a report.
[[nodiscard]] Extracted documents_from_mail(std::string_view message, const UnpackLimits& limits = {});

}  // namespace domainauth::report
