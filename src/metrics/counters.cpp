// The process's counters and the token lookups of counters.hpp.
#include "metrics/counters.hpp"

namespace domainauth::metrics {

namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> find(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Result> result_from_token(std::string_view token) { return find<Result>(kResultNames, token); }

std::optional<Algorithm> algorithm_from_name(std::string_view name) {
  return find<Algorithm>(kAlgorithmNames, name);
}

Counters& counters() {
  static Counters process;
  return process;
}

}  // namespace domainauth::metrics
