// The findings of `domainauth check`: each one a stable id ("spf.lookups"), a
// severity, a message for the administrator and a one-sentence fix, grouped by
// the part of the setup it concerns. Rendered for people (text) or as one JSON
// object (stable: ids and field names are a contract scripts rely on).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::setup {

enum class Severity : std::uint8_t { ok, info, warning, error };
[[nodiscard]] std::string_view to_string(Severity severity);

struct Finding {
  std::string id;        // "<section>.<what>", e.g. "spf.lookups"; stable
  Severity severity = Severity::ok;
  std::string message;   // what was found
  std::string fix;       // one sentence; empty when nothing is to be done
  std::string subject;   // what it is about when a section has several (a selector, an address)
};

// A line of the SPF include tree: depth 0 is the domain itself.
struct SpfTreeLine {
  int depth = 0;
  std::string term;    // "example.com", "include:_spf.example.net", "redirect=..."
  int lookups = 0;     // DNS-querying terms of this record itself
  std::string note;    // "no SPF record", "loop", ...
};

struct Report {
  std::string domain;
  std::string ip;    // empty when not given
  std::string helo;  // empty when not given
  std::vector<Finding> findings;
  std::vector<SpfTreeLine> spf_tree;
  int spf_lookups = -1;  // total DNS-querying terms, -1 when unknown
  bool dns_failed = false;  // the first lookup failed: DNS itself is unusable, nothing else checked

  void add(std::string id, Severity severity, std::string message, std::string fix = {}, std::string subject = {});
  [[nodiscard]] const Finding* find(std::string_view id, std::string_view subject = {}) const;
  [[nodiscard]] int count(Severity severity) const;
  [[nodiscard]] bool has_errors() const { return count(Severity::error) > 0; }
};

// The section of an id: "spf.lookups" -> "spf".
[[nodiscard]] std::string_view section_of(std::string_view id);

// {"domain", "ip", "helo", "summary": {"ok", "info", "warning", "error"},
//  "spf_lookups", "spf_tree": [...], "findings": [{"id", "severity", "message", "fix", "subject"}]}
[[nodiscard]] nlohmann::json to_json(const Report& report);
// For a busy administrator: errors and warnings first within each section, fixes
// beside them, and a one-line verdict at the end.
[[nodiscard]] std::string to_text(const Report& report);

}  // namespace domainauth::setup
