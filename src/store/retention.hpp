// History retention ([store] retention_days): whole reporting periods older
// than the limit are deleted, with their DKIM results and the bookkeeping of
// the reports sent for them, a bounded batch per transaction so a huge history
// never holds the database (or the daemon's writer thread) for long. The
// bookkeeping of periods still kept stays, so `report aggregate` never sends
// one of them again. No untrusted input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "store/database.hpp"

namespace domainauth::store {

inline constexpr std::size_t kExpireBatch = 1000;  // rows of each table per transaction

// The first period kept at time now when days whole periods before the
// current one are kept: the period that began days * 24 hours before now's.
// Rows are deleted by whole period, so a report is never built from part of one.
[[nodiscard]] std::int64_t retention_cutoff(std::int64_t now, std::int64_t days);

struct Expired {
  std::uint64_t messages = 0;      // message rows deleted (their DKIM results with them)
  std::uint64_t sent_reports = 0;  // sent-report rows of deleted periods
};

// Deletes, in one transaction, at most limit message rows and limit
// sent-report rows of the periods that began before cutoff, adding them to
// counts. more: whether a table may still hold such rows (a batch was full).
[[nodiscard]] std::optional<std::string> expire_batch(Database& db, std::int64_t cutoff, std::size_t limit,
                                                      Expired& counts, bool& more);
// Every batch until nothing before cutoff is left.
[[nodiscard]] std::optional<std::string> expire(Database& db, std::int64_t cutoff, Expired& counts);

}  // namespace domainauth::store
