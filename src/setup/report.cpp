// Rendering of check findings as text and JSON (see report.hpp).
#include "setup/report.hpp"

#include <algorithm>
#include <array>

namespace domainauth::setup {

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::ok: return "ok";
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
  }
  return "unknown";
}

void Report::add(std::string id, Severity severity, std::string message, std::string fix, std::string subject) {
  findings.push_back({std::move(id), severity, std::move(message), std::move(fix), std::move(subject)});
}

const Finding* Report::find(std::string_view id, std::string_view subject) const {
  for (const auto& f : findings) {
    if (f.id == id && (subject.empty() || f.subject == subject)) return &f;
  }
  return nullptr;
}

int Report::count(Severity severity) const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                        [severity](const Finding& f) { return f.severity == severity; }));
}

std::string_view section_of(std::string_view id) { return id.substr(0, id.find('.')); }

nlohmann::json to_json(const Report& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : report.findings) {
    findings.push_back({{"id", f.id}, {"severity", to_string(f.severity)}, {"message", f.message}, {"fix", f.fix},
                        {"subject", f.subject}});
  }
  nlohmann::json tree = nlohmann::json::array();
  for (const auto& line : report.spf_tree) {
    tree.push_back({{"depth", line.depth}, {"term", line.term}, {"lookups", line.lookups}, {"note", line.note}});
  }
  return {{"domain", report.domain},
          {"ip", report.ip},
          {"helo", report.helo},
          {"summary",
           {{"ok", report.count(Severity::ok)},
            {"info", report.count(Severity::info)},
            {"warning", report.count(Severity::warning)},
            {"error", report.count(Severity::error)}}},
          {"spf_lookups", report.spf_lookups},
          {"spf_tree", tree},
          {"findings", findings}};
}

namespace {

constexpr std::array kSections = {
    std::pair{"spf", "SPF"},         std::pair{"dkim", "DKIM"},
    std::pair{"dmarc", "DMARC"},     std::pair{"mx", "MX"},
    std::pair{"ptr", "Reverse DNS of the sending address"},
    std::pair{"helo", "HELO name"},  std::pair{"dnssec", "DNSSEC"},
    std::pair{"dane", "DANE (TLSA of the MX hosts)"},
    std::pair{"mta_sts", "MTA-STS"},  std::pair{"tls_rpt", "TLS-RPT"},
    std::pair{"bimi", "BIMI"},
    std::pair{"postfix", "Postfix configuration"},
    std::pair{"message", "Sample message (Gmail / Yahoo bulk-sender rules)"},
    std::pair{"requirements", "Gmail / Yahoo / Microsoft sender requirements"},
};

std::string marker(Severity severity) {
  switch (severity) {
    case Severity::ok: return "  ok    ";
    case Severity::info: return "  info  ";
    case Severity::warning: return "  WARN  ";
    case Severity::error: return "  ERROR ";
  }
  return "        ";
}

std::string verdict(const Report& report) {
  const int errors = report.count(Severity::error);
  const int warnings = report.count(Severity::warning);
  std::string out = std::to_string(errors) + " error" + (errors == 1 ? "" : "s") + ", " + std::to_string(warnings) +
                    " warning" + (warnings == 1 ? "" : "s");
  const std::string whose = report.domain.empty() ? "this server" : report.domain;
  if (errors > 0) return out + ": mail from " + whose + " is likely to be refused; fix the errors first.";
  if (warnings > 0) return out + ": the basics are in place; the warnings make delivery more robust.";
  return out + ": " + whose + " meets every checked requirement.";
}

}  // namespace

std::string to_text(const Report& report) {
  // The title names what was checked: the domain, Postfix's wiring, a sample message.
  std::string out = "domainauth check";
  if (!report.domain.empty()) out += " " + report.domain;
  for (std::string_view part : {"postfix", "message"}) {
    const auto in_part = [&](const Finding& f) { return section_of(f.id) == part; };
    if (std::any_of(report.findings.begin(), report.findings.end(), in_part)) out += " --" + std::string(part);
  }
  if (!report.ip.empty()) out += "  (sending address " + report.ip + ")";
  if (!report.helo.empty()) out += "  (HELO " + report.helo + ")";
  out += "\n" + verdict(report) + "\n";
  for (const auto& [section, title] : kSections) {
    bool first = true;
    for (const auto& f : report.findings) {
      if (section_of(f.id) != section) continue;
      if (first) out += std::string("\n") + title + "\n";
      first = false;
      out += marker(f.severity) + (f.subject.empty() ? "" : "[" + f.subject + "] ") + f.message + "\n";
      if (!f.fix.empty() && f.severity != Severity::ok) out += "          fix (" + f.id + "): " + f.fix + "\n";
    }
    if (section == std::string_view("spf") && !report.spf_tree.empty()) {
      out += "        include tree (DNS lookups per record):\n";
      for (const auto& line : report.spf_tree) {
        out += "          " + std::string(static_cast<std::size_t>(line.depth) * 2, ' ') + line.term + "  (" +
               std::to_string(line.lookups) + ")" + (line.note.empty() ? "" : "  " + line.note) + "\n";
      }
    }
  }
  return out;
}

}  // namespace domainauth::setup
