// The DMARC history row of one verified message (store::Row), built from the
// DMARC outcome and what the milter knew of the connection and the message.
// Reads values the evaluation already checked; nothing untrusted is parsed.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/pipeline.hpp"
#include "store/history.hpp"

namespace domainauth::engine {

// The row for the message, or nothing when there is nothing to report: no
// DMARC evaluation, or no DMARC record found (no policy domain).
[[nodiscard]] std::optional<store::Row> history_row(const Results& results, const Client& client, std::int64_t time);

}  // namespace domainauth::engine
