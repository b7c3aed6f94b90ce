// The daemon's counters for /metrics: messages, signatures, verification results,
// DNS queries and their latency, time per message. Plain integers, written and
// read on the event loop's one thread only (no atomics, no locks, nothing
// allocated per message); values other threads own (queue depths and drops) are
// sampled at scrape time instead (render.hpp). Label values are enums indexing
// fixed arrays, so counting is one increment.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace domainauth::metrics {

enum class Direction : std::uint8_t { sign, verify };
enum class Action : std::uint8_t { accept, reject, tempfail, quarantine };
enum class Method : std::uint8_t { spf, dkim, dmarc, arc };
// The RFC 8601 result tokens the four methods use.
enum class Result : std::uint8_t { pass, fail, softfail, neutral, none, temperror, permerror, policy };
enum class Algorithm : std::uint8_t { rsa_sha256, ed25519_sha256 };
// dns::Status's values (dns/ comes after this module and converts).
enum class DnsStatus : std::uint8_t { answer, nxdomain, nodata, servfail, timeout };

inline constexpr std::array<std::string_view, 2> kDirectionNames{"sign", "verify"};
inline constexpr std::array<std::string_view, 4> kActionNames{"accept", "reject", "tempfail", "quarantine"};
inline constexpr std::array<std::string_view, 4> kMethodNames{"spf", "dkim", "dmarc", "arc"};
inline constexpr std::array<std::string_view, 8> kResultNames{"pass",      "fail",      "softfail", "neutral",
                                                              "none",      "temperror", "permerror", "policy"};
inline constexpr std::array<std::string_view, 2> kAlgorithmNames{"rsa-sha256", "ed25519-sha256"};
inline constexpr std::array<std::string_view, 5> kDnsStatusNames{"answer", "nxdomain", "nodata", "servfail",
                                                                 "timeout"};

// An RFC 8601 token as a Result; nothing for a token not listed.
[[nodiscard]] std::optional<Result> result_from_token(std::string_view token);
// "rsa-sha256" / "ed25519-sha256"; nothing for another.
[[nodiscard]] std::optional<Algorithm> algorithm_from_name(std::string_view name);

// Upper bounds (seconds) of the histograms' buckets; +Inf is implied.
inline constexpr std::array<double, 10> kDnsBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};
inline constexpr std::array<double, 11> kMessageBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05,   0.1,   0.25,   1,     5};

// A Prometheus histogram over fixed bounds: counts[i] holds observations at
// most bounds[i] and above bounds[i-1] (not cumulative; the writer sums them),
// counts[bounds.size()] the rest.
template <std::size_t N>
struct Histogram {
  std::array<std::uint64_t, N + 1> counts{};
  double sum = 0;
  void observe(const std::array<double, N>& bounds, double seconds) {
    std::size_t i = 0;
    while (i < N && seconds > bounds[i]) ++i;
    ++counts[i];
    sum += seconds;
  }
};

struct Counters {
  std::array<std::array<std::uint64_t, kActionNames.size()>, kDirectionNames.size()> messages{};
  std::array<std::uint64_t, kAlgorithmNames.size()> signatures{};
  std::array<std::array<std::uint64_t, kResultNames.size()>, kMethodNames.size()> results{};
  std::array<std::uint64_t, kDnsStatusNames.size()> dns_queries{};
  std::uint64_t dns_cache_hits = 0;
  Histogram<kDnsBuckets.size()> dns_seconds;
  Histogram<kMessageBuckets.size()> message_seconds;

  void message(Direction direction, Action action, double seconds) {
    ++messages[static_cast<std::size_t>(direction)][static_cast<std::size_t>(action)];
    message_seconds.observe(kMessageBuckets, seconds);
  }
  void result(Method method, Result value) {
    ++results[static_cast<std::size_t>(method)][static_cast<std::size_t>(value)];
  }
  // A token not in Result is not counted (none of the four methods makes one).
  void result(Method method, std::string_view token) {
    if (const auto value = result_from_token(token)) result(method, *value);
  }
  void signature(Algorithm algorithm) { ++signatures[static_cast<std::size_t>(algorithm)]; }
  void dns_query(DnsStatus status, double seconds) {
    ++dns_queries[static_cast<std::size_t>(status)];
    dns_seconds.observe(kDnsBuckets, seconds);
  }
};

// The process's counters. Only the event loop's thread may touch them (the CLI's
// commands run their checks on one thread too, and never export them).
[[nodiscard]] Counters& counters();

}  // namespace domainauth::metrics
