// The Prometheus text format 0.0.4 writer: HELP/TYPE lines, label escaping,
// numbers, and histograms as cumulative buckets with _sum and _count.
#include <gtest/gtest.h>

#include <limits>

#include "metrics/exposition.hpp"

namespace domainauth::metrics {
namespace {

TEST(Exposition, FamilyAndLabelledSamples) {
  Writer w;
  w.family("x_total", Writer::Type::counter, "Things counted");
  w.sample("x_total", {{"a", "1"}, {"b", "two"}}, std::uint64_t{42});
  w.sample("x_total", {}, std::uint64_t{0});
  EXPECT_EQ(w.text(),
            "# HELP x_total Things counted\n"
            "# TYPE x_total counter\n"
            "x_total{a=\"1\",b=\"two\"} 42\n"
            "x_total 0\n");
}

TEST(Exposition, LabelValuesEscapeBackslashQuoteAndNewline) {
  Writer w;
  w.sample("g", {{"v", "a\\b\"c\nd"}}, std::uint64_t{1});
  EXPECT_EQ(w.text(), "g{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(Exposition, HelpEscapesBackslashAndNewlineButNotQuotes) {
  Writer w;
  w.family("g", Writer::Type::gauge, "say \"hi\"\\\nthere");
  EXPECT_EQ(w.text(), "# HELP g say \"hi\"\\\\\\nthere\n# TYPE g gauge\n");
}

TEST(Exposition, NumbersAreShortestDecimalsAndSpecials) {
  EXPECT_EQ(Writer::number(0.001), "0.001");
  EXPECT_EQ(Writer::number(1), "1");
  EXPECT_EQ(Writer::number(2.5e-07), "2.5e-07");
  EXPECT_EQ(Writer::number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Writer::number(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Writer::number(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(Exposition, HistogramBucketsAreCumulative) {
  constexpr std::array<double, 2> bounds{0.25, 1};
  Histogram<2> h;
  h.observe(bounds, 0.125);
  h.observe(bounds, 0.25);  // le is inclusive
  h.observe(bounds, 0.5);
  h.observe(bounds, 8);
  Writer w;
  w.histogram("t_seconds", bounds, h);
  EXPECT_EQ(w.text(),
            "t_seconds_bucket{le=\"0.25\"} 2\n"
            "t_seconds_bucket{le=\"1\"} 3\n"
            "t_seconds_bucket{le=\"+Inf\"} 4\n"
            "t_seconds_sum 8.875\n"
            "t_seconds_count 4\n");
}

}  // namespace
}  // namespace domainauth::metrics
