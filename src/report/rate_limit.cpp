// The per-domain hourly report limit (see rate_limit.hpp).
#include "report/rate_limit.hpp"

#include "text/ascii.hpp"

namespace domainauth::report {

bool RateLimiter::allow(std::string_view domain, std::int64_t now) {
  const std::int64_t hour = now / kRateWindowSeconds;
  const std::string key = text::to_lower(domain);
  std::lock_guard lock(mutex_);
  auto it = windows_.find(key);
  if (it == windows_.end()) {
    if (windows_.size() >= max_domains_) {
      std::erase_if(windows_, [hour](const auto& entry) { return entry.second.hour != hour; });
      if (windows_.size() >= max_domains_) return false;
    }
    it = windows_.emplace(key, Window{hour, 0}).first;
  }
  if (it->second.hour != hour) it->second = {hour, 0};
  if (it->second.sent >= per_hour_) return false;
  ++it->second.sent;
  return true;
}

}  // namespace domainauth::report
