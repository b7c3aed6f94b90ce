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
// DMARC evaluation, or no DMARC record found (no policy domain). applied is
// the disposition the milter actually applied after the local overrides
// (applied_disposition of dmarc_decision.hpp: never_reject, quarantine_as_header,
// exceptions, report-only), not the domain owner's one in the outcome.
[[nodiscard]] std::optional<store::Row> history_row(const Results& results, const Client& client, std::int64_t time,
                                                    dmarc::Policy applied);

}  // namespace domainauth::engine
