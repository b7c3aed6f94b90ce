// The received aggregate report reader (see ingest_xml.hpp): a repair pass
// over the raw text (UTF-8, what lies outside the root element, nesting
// depth), then pugixml, then the RFC 9990 3.2 / RFC 7489 appendix C elements
// by local name, so a namespace prefix does not matter.
#include "report/ingest_xml.hpp"

#include <pugixml.hpp>

#include <charconv>

#include "net/address.hpp"
#include "text/ascii.hpp"
#include "text/utf8.hpp"

namespace domainauth::report {
namespace {

constexpr std::string_view kNamespace = "urn:ietf:params:xml:ns:dmarc-2.0";

struct Failure {
  std::string why;
};

// The deepest element nesting of the text, read as tags (comments, CDATA,
// declarations and processing instructions skipped); stops counting past limit.
std::size_t nesting(std::string_view s, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  for (std::size_t at = s.find('<'); at != std::string_view::npos && deepest <= limit; at = s.find('<', at + 1)) {
    const auto close = s.find('>', at);
    if (close == std::string_view::npos) break;
    const auto tag = s.substr(at, close - at + 1);
    if (tag.starts_with("<!--")) at = s.find("-->", at);
    else if (tag.starts_with("<![CDATA[")) at = s.find("]]>", at);
    else if (tag.starts_with("</")) depth -= depth > 0 ? 1 : 0;
    else if (!tag.starts_with("<!") && !tag.starts_with("<?") && !tag.ends_with("/>")) deepest = std::max(deepest, ++depth);
    if (at == std::string_view::npos) break;
  }
  return deepest;
}

// The local name: after a namespace prefix.
std::string_view local(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
  for (auto c : parent.children()) {
    if (c.type() == pugi::node_element && text::iequals(local(c), name)) return c;
  }
  return {};
}

template <typename F>
void each(const pugi::xml_node& parent, std::string_view name, F f) {
  for (auto c : parent.children()) {
    if (c.type() == pugi::node_element && text::iequals(local(c), name)) f(c);
  }
}

std::string value(const pugi::xml_node& node) { return std::string(text::trim_fws(node.child_value())); }
std::string lower(const pugi::xml_node& node) { return text::to_lower(value(node)); }

std::string required(const pugi::xml_node& parent, std::string_view name, std::string_view where) {
  auto v = value(child(parent, name));
  if (v.empty()) throw Failure{std::string(where) + ": no <" + std::string(name) + ">"};
  return v;
}

std::uint64_t unsigned_number(const std::string& text, std::uint64_t max, std::string_view what) {
  std::uint64_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || n > max) {
    throw Failure{std::string(what) + " is not a number up to " + std::to_string(max) + ": \"" + text.substr(0, 40) + "\""};
  }
  return n;
}

// RFC 9990 3.2.1.3 / RFC 7489 appendix C: none, quarantine, reject (RFC 9990 also pass).
std::string disposition(const pugi::xml_node& evaluated, std::vector<std::string>& notes) {
  auto d = lower(child(evaluated, "disposition"));
  if (d.empty()) {
    notes.emplace_back("a record without disposition: read as none");
    return "none";
  }
  if (d != "none" && d != "quarantine" && d != "reject" && d != "pass") throw Failure{"unknown disposition \"" + d.substr(0, 40) + "\""};
  return d;
}

// "pass" or "fail" (policy_evaluated dkim and spf know nothing else; absent is a fail).
std::string aligned(const pugi::xml_node& evaluated, std::string_view name) {
  return lower(child(evaluated, name)) == "pass" ? "pass" : "fail";
}

std::string auth_results(const pugi::xml_node& auth, std::string_view method) {
  std::string out;
  each(auth, method, [&](const pugi::xml_node& n) {
    out += (out.empty() ? "" : " ") + lower(child(n, "domain")) + "=" + lower(child(n, "result"));
  });
  return out;
}

store::IngestedRecord record(const pugi::xml_node& node, const IngestLimits& limits, std::vector<std::string>& notes) {
  const auto row = child(node, "row");
  store::IngestedRecord r;
  r.source_ip = required(row, "source_ip", "record");
  const auto ip = net::IpAddress::parse(r.source_ip);
  if (!ip) throw Failure{"record: source_ip is not an address: \"" + r.source_ip.substr(0, 60) + "\""};
  r.source_ip = ip->to_string();
  r.count = unsigned_number(required(row, "count", "record"), limits.max_count, "record count");
  const auto evaluated = child(row, "policy_evaluated");
  r.disposition = disposition(evaluated, notes);
  r.dkim = aligned(evaluated, "dkim");
  r.spf = aligned(evaluated, "spf");
  each(evaluated, "reason", [&](const pugi::xml_node& reason) {
    if (auto type = lower(child(reason, "type")); !type.empty()) r.reasons += (r.reasons.empty() ? "" : " ") + type;
  });
  const auto identifiers = child(node, "identifiers");
  r.header_from = lower(child(identifiers, "header_from"));
  r.envelope_from = lower(child(identifiers, "envelope_from"));
  const auto auth = child(node, "auth_results");
  r.dkim_auth = auth_results(auth, "dkim");
  r.spf_auth = auth_results(auth, "spf");
  return r;
}

void dates(const pugi::xml_node& meta, std::int64_t now, const IngestLimits& limits, store::IngestedReport& out) {
  const auto range = child(meta, "date_range");
  constexpr std::uint64_t kMaxTime = 1ULL << 62U;  // larger is no time at all; smaller but late is "in the future"
  out.begin = static_cast<std::int64_t>(unsigned_number(required(range, "begin", "date_range"), kMaxTime, "date_range begin"));
  out.end = static_cast<std::int64_t>(unsigned_number(required(range, "end", "date_range"), kMaxTime, "date_range end"));
  if (out.end < out.begin) throw Failure{"date_range ends before it begins"};
  if (out.end > now + limits.max_future) throw Failure{"date_range ends in the future: " + std::to_string(out.end)};
  if (out.end - out.begin > limits.max_span) throw Failure{"date_range spans more than " + std::to_string(limits.max_span / 86400) + " days"};
}

store::IngestedReport read(const pugi::xml_node& root, std::int64_t now, const IngestLimits& limits,
                           std::vector<std::string>& notes) {
  store::IngestedReport out;
  bool namespaced = false;  // xmlns="..." or xmlns:prefix="..."
  for (auto a : root.attributes()) namespaced = namespaced || std::string_view(a.value()) == kNamespace;
  out.format = namespaced ? "rfc9990" : "rfc7489";
  const auto meta = child(root, "report_metadata");
  out.org_name = required(meta, "org_name", "report_metadata");
  out.report_id = required(meta, "report_id", "report_metadata");
  out.email = value(child(meta, "email"));
  dates(meta, now, limits, out);
  const auto policy = child(root, "policy_published");
  out.policy_domain = text::to_lower(required(policy, "domain", "policy_published"));
  out.p = lower(child(policy, "p"));
  out.sp = lower(child(policy, "sp"));
  if (auto pct = value(child(policy, "pct")); !pct.empty()) out.pct = static_cast<int>(unsigned_number(pct, 100, "pct"));
  each(root, "record", [&](const pugi::xml_node& node) {
    if (out.records.size() == limits.max_records) throw Failure{"more than " + std::to_string(limits.max_records) + " records"};
    out.records.push_back(record(node, limits, notes));
  });
  if (out.records.empty()) throw Failure{"no <record>"};
  return out;
}

// The text from the root element's start to its end tag; notes what was cut.
std::string_view root_element(std::string_view xml, std::vector<std::string>& notes) {
  auto start = std::string_view::npos;  // "<feedback" or "<prefix:feedback"
  for (auto at = xml.find("feedback"); at != std::string_view::npos && at > 0 && start == std::string_view::npos;
       at = xml.find("feedback", at + 1)) {
    if (xml[at - 1] == '<') start = at - 1;
    const auto before = xml.find_last_of("<> \t\r\n", at - 1);
    if (xml[at - 1] == ':' && before != std::string_view::npos && xml[before] == '<') start = before;
  }
  if (start == std::string_view::npos) throw Failure{"no <feedback> element: not a DMARC aggregate report"};
  const auto head = xml.substr(0, start);
  const auto declaration_end = head.starts_with("<?xml") ? head.find("?>") : std::string_view::npos;
  const auto stray = text::trim_fws(declaration_end == std::string_view::npos ? head : head.substr(declaration_end + 2));
  if (!stray.empty()) notes.push_back("ignored " + std::to_string(stray.size()) + " octets before the root element");
  auto end = xml.rfind("feedback>");
  if (end == std::string_view::npos || end < start) return xml.substr(start);  // pugixml names what is missing
  end += 9;
  if (!text::trim_fws(xml.substr(end)).empty()) notes.emplace_back("ignored text after the root element");
  return xml.substr(start, end - start);
}

}  // namespace

ParsedReport parse_aggregate(std::string_view xml, std::int64_t now, const IngestLimits& limits) {
  ParsedReport result;
  try {
    if (xml.size() > limits.max_document) throw Failure{"document larger than " + std::to_string(limits.max_document) + " octets"};
    std::size_t replaced = 0;
    const auto repaired = text::repair_utf8(xml, replaced);
    if (replaced > 0) result.notes.push_back(std::to_string(replaced) + " octet(s) of bad UTF-8 replaced");
    const auto root_text = root_element(repaired, result.notes);
    if (nesting(root_text, limits.max_depth) > limits.max_depth) {
      throw Failure{"elements nested deeper than " + std::to_string(limits.max_depth)};
    }
    pugi::xml_document doc;
    const auto parsed = doc.load_buffer(root_text.data(), root_text.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!parsed) {
      throw Failure{std::string("XML: ") + parsed.description() + " at octet " + std::to_string(parsed.offset)};
    }
    result.report = read(doc.document_element(), now, limits, result.notes);
  } catch (const Failure& failure) {
    result.error = failure.why;
  }
  return result;
}

}  // namespace domainauth::report
