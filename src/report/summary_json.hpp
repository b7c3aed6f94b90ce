// The JSON form of a report summary, one shape for `report summary --json`
// and the dashboard's /api/summary (README "report summary" documents it).
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "report/summary.hpp"

namespace domainauth::report {

// days and since: the period asked for (since: its first second).
[[nodiscard]] nlohmann::json summary_json(const Summary& summary, int days, std::int64_t since);

}  // namespace domainauth::report
