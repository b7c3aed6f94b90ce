// The DMARC aggregate report document (RFC 9990 section 3 and its XML schema,
// namespace urn:ietf:params:xml:ns:dmarc-2.0; or, for receivers that want the
// old format, RFC 7489 appendix C without a namespace) of one policy domain
// and one reporting period, built from history rows. Reads rows of the history, which
// carry values taken from mail (domains, selectors): they are written as XML
// text by pugixml, which escapes them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "store/history.hpp"

namespace domainauth::report {

// [report] format: which document aggregate_xml() writes.
enum class Format : std::uint8_t { rfc9990, rfc7489 };

struct Metadata {
  std::string org_name;   // the Report Generator
  std::string email;      // its contact address
  std::string report_id;  // unique per report
  std::int64_t begin = 0;  // date_range, Unix seconds, inclusive
  std::int64_t end = 0;    // exclusive here; written as end - 1 (RFC 9990 3.1.1: the last second covered)
  std::string discovery_method = "treewalk";  // "treewalk" or "psl"
  std::string generator;  // program name and version (RFC 9990 only)
  Format format = Format::rfc9990;
};

// Rows sharing every reported value become one <record> with their count.
struct Record {
  store::Row row;  // the values (time ignored)
  std::uint64_t count = 0;
};
[[nodiscard]] std::vector<Record> group_rows(std::span<const store::Row> rows);

// The report document for policy_domain; rows of other domains and rows
// without a source address are left out. The published policy is the one the
// newest row saw. Empty when no row is left (a report needs one <record>).
[[nodiscard]] std::string aggregate_xml(const Metadata& metadata, const std::string& policy_domain,
                                        std::span<const store::Row> rows);

}  // namespace domainauth::report
