// The DMARC history: one row per evaluated message, kept for aggregate
// reports (RFC 9990 2.1 / RFC 7489 7.2: what a report is built from). The
// History interface takes rows without ever blocking the caller; the database
// side is in database.hpp. Reads no untrusted input itself: rows hold values
// the DMARC evaluation already checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace domainauth::store {

// One DKIM signature's result (RFC 9990 auth_results/dkim).
struct DkimRow {
  std::string result;  // RFC 8601 result name: pass, fail, ...
  std::string domain;  // d=
  std::string selector;
  bool aligned = false;
  friend bool operator==(const DkimRow&, const DkimRow&) = default;
};

// The published policy the message was checked against (RFC 9990 policy_published).
struct PublishedPolicy {
  std::string p, sp, np;  // "none" / "quarantine" / "reject"; empty when absent
  int pct = 100;          // RFC 7489 only
  std::string adkim = "r", aspf = "r";
  bool testing = false;   // RFC 9989 t=y
  std::string fo;         // fo= in effect ("0", "1:d"...); empty in rows from before schema version 2
  friend bool operator==(const PublishedPolicy&, const PublishedPolicy&) = default;
};

struct Row {
  std::int64_t time = 0;  // Unix seconds when the message was evaluated
  std::string source_ip;
  std::string header_from;    // the author domain
  std::string envelope_from;  // RFC5321.MailFrom domain (empty for a null sender)
  std::string spf_result;
  std::string spf_domain;
  bool spf_aligned = false;
  std::vector<DkimRow> dkim;
  std::string policy_domain;  // where the DMARC record was found
  PublishedPolicy policy;
  std::string disposition;  // none / quarantine / reject: what was applied
  std::string result;       // dmarc: pass / fail / none / temperror / permerror
  friend bool operator==(const Row&, const Row&) = default;
};

// The reporting window a time falls in: whole UTC days (RFC 9990 2.1.1 asks
// reports to cover a UTC day by default). [begin, end) in Unix seconds.
inline constexpr std::int64_t kReportInterval = 86400;
[[nodiscard]] std::pair<std::int64_t, std::int64_t> reporting_window(std::int64_t time);

struct HistoryStats {
  std::uint64_t written = 0;  // rows stored
  std::uint64_t dropped = 0;  // rows lost: queue full, or the database down too long
  std::size_t queued = 0;
};

// Where the milter hands its rows. record() never blocks on the database and
// never fails the caller: a row that cannot be kept is counted and logged.
class History {
 public:
  virtual ~History() = default;
  virtual void record(Row row) = 0;
  [[nodiscard]] virtual HistoryStats stats() const = 0;
};

}  // namespace domainauth::store
