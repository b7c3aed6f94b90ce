// The Prometheus text exposition format 0.0.4 writer (exposition.hpp).
#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace domainauth::metrics {

namespace {

std::string_view type_name(Writer::Type type) {
  switch (type) {
    case Writer::Type::counter: return "counter";
    case Writer::Type::gauge: return "gauge";
    case Writer::Type::histogram: return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and line feed; label values also the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string Writer::number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::array<char, 32> buffer{};
  const auto end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value).ptr;
  return {buffer.data(), end};
}

void Writer::family(std::string_view name, Type type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ");
  append_escaped(out_, help, false);
  out_.append("\n# TYPE ").append(name).append(" ").append(type_name(type)).append("\n");
}

void Writer::labels(std::initializer_list<Label> labels) {
  if (labels.size() == 0) return;
  out_ += '{';
  bool first = true;
  for (const auto& label : labels) {
    if (!first) out_ += ',';
    first = false;
    out_.append(label.name).append("=\"");
    append_escaped(out_, label.value, true);
    out_ += '"';
  }
  out_ += '}';
}

void Writer::sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value) {
  out_.append(name);
  this->labels(labels);
  out_.append(" ").append(std::to_string(value)).append("\n");
}

void Writer::sample(std::string_view name, std::initializer_list<Label> labels, double value) {
  out_.append(name);
  this->labels(labels);
  out_.append(" ").append(number(value)).append("\n");
}

void Writer::bucket(std::string_view name, std::string_view le, std::uint64_t value) {
  sample(std::string(name) + "_bucket", {{"le", le}}, value);
}

}  // namespace domainauth::metrics
