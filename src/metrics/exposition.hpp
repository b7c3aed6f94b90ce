// The Prometheus text exposition format, version 0.0.4 (what `promtool check
// metrics` reads): "# HELP" and "# TYPE" once per family, then its samples,
// label values escaped (backslash, double quote, line feed), histograms as
// cumulative _bucket{le=...} samples with _sum and _count. Pure: builds a string.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "metrics/counters.hpp"

namespace domainauth::metrics {

// The Content-Type of the text format.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

struct Label {
  std::string_view name;
  std::string_view value;
};

class Writer {
 public:
  enum class Type : std::uint8_t { counter, gauge, histogram };

  // Starts a family: its samples follow. Names are ours ([a-z_]), never input.
  void family(std::string_view name, Type type, std::string_view help);
  void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value);
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);

  template <std::size_t N>
  void histogram(std::string_view name, const std::array<double, N>& bounds, const Histogram<N>& histogram) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < N; ++i) {
      cumulative += histogram.counts[i];
      bucket(name, number(bounds[i]), cumulative);
    }
    cumulative += histogram.counts[N];
    bucket(name, "+Inf", cumulative);
    sample(std::string(name) + "_sum", {}, histogram.sum);
    sample(std::string(name) + "_count", {}, cumulative);
  }

  [[nodiscard]] const std::string& text() const { return out_; }

  // A value as the format writes it: shortest round-trip decimal, "+Inf", "-Inf", "NaN".
  [[nodiscard]] static std::string number(double value);

 private:
  void bucket(std::string_view name, std::string_view le, std::uint64_t value);
  void labels(std::initializer_list<Label> labels);

  std::string out_;
};

}  // namespace domainauth::metrics
