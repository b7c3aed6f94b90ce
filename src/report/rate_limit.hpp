// The failure report rate limit (RFC 9991 2: "Report generators MUST implement
// a rate-limit on outgoing reports"; 8.1): at most N reports per reported
// domain in each clock hour. The table of domains is bounded
// (kMaxRateLimitedDomains); when it is full of domains seen this hour, a new
// domain is refused too, so a flood of random From domains cannot grow memory
// or the report volume. Thread-safe. Reads untrusted input: the domain names.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace domainauth::report {

inline constexpr std::size_t kMaxRateLimitedDomains = 10000;
inline constexpr std::int64_t kRateWindowSeconds = 3600;

class RateLimiter {
 public:
  explicit RateLimiter(std::size_t per_hour, std::size_t max_domains = kMaxRateLimitedDomains)
      : per_hour_(per_hour), max_domains_(max_domains) {}

  // True (and counted) when one more report for domain fits in the hour of now (Unix seconds).
  [[nodiscard]] bool allow(std::string_view domain, std::int64_t now);

 private:
  struct Window {
    std::int64_t hour = 0;
    std::size_t sent = 0;
  };
  std::size_t per_hour_;
  std::size_t max_domains_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace domainauth::report
