// Reading a received DMARC aggregate report document: RFC 9990 section 3 XML
// (namespace urn:ietf:params:xml:ns:dmarc-2.0, any prefix) or RFC 7489
// appendix C (no namespace). Real reports are messy, so it recovers what a
// careful reader can (text before the root element, bad UTF-8, result words in
// any case, empty or missing optional elements) and refuses, with the reason,
// what it cannot (no report id, an unreadable count or address, dates far in
// the future, too many records, nesting too deep). Entities declared in a
// DOCTYPE are never expanded and nothing external is read: pugixml skips the
// DOCTYPE and knows only the five predefined entities. Reads untrusted input:
// the document, from anyone who mails a report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/ingested.hpp"

namespace domainauth::report {

struct IngestLimits {
  std::size_t max_document = 64 * 1024 * 1024;  // octets of XML
  std::size_t max_depth = 32;                   // element nesting (a report needs 5)
  std::size_t max_records = 200000;
  std::uint64_t max_count = 1'000'000'000;          // messages in one record
  std::int64_t max_future = 2 * 86400;              // date_range end after now
  std::int64_t max_span = 366 * 86400;              // date_range end - begin
};

struct ParsedReport {
  std::optional<store::IngestedReport> report;
  std::string error;               // set when report is not
  std::vector<std::string> notes;  // what was recovered
};

[[nodiscard]] ParsedReport parse_aggregate(std::string_view xml, std::int64_t now, const IngestLimits& limits = {});

}  // namespace domainauth::report
