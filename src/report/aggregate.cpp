// The aggregate report document (see aggregate.hpp), RFC 9990 3.1 / 3.2 and
// RFC 7489 appendix C.
#include "report/aggregate.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>
#include <tuple>

#include "net/address.hpp"

namespace domainauth::report {
namespace {

// RFC 9990 3.2.1.3 policy_evaluated: "pass" when DMARC passed, else what was
// applied; RFC 7489 knows only what was applied.
std::string evaluated_disposition(const store::Row& row, Format format) {
  return row.result == "pass" && format == Format::rfc9990 ? "pass" : row.disposition;
}

// RFC 7489 appendix C's IPAddress pattern takes IPv6 only as eight groups.
std::string source_ip(const std::string& text, Format format) {
  const auto ip = net::IpAddress::parse(text);
  if (format == Format::rfc9990 || !ip || !ip->is_v6()) return text;
  std::string out;
  for (std::size_t i = 0; i < 16; i += 2) {
    std::array<char, 6> group{};
    std::snprintf(group.data(), group.size(), "%x", (ip->bytes()[i] << 8U) | ip->bytes()[i + 1]);
    out += (i == 0 ? "" : ":") + std::string(group.data());
  }
  return out;
}

bool dkim_aligned_pass(const store::Row& row) {
  return std::any_of(row.dkim.begin(), row.dkim.end(), [](const auto& d) { return d.aligned && d.result == "pass"; });
}

bool spf_aligned_pass(const store::Row& row) { return row.spf_aligned && row.spf_result == "pass"; }

auto key(const store::Row& r) {
  return std::tie(r.source_ip, r.header_from, r.envelope_from, r.spf_result, r.spf_domain, r.spf_aligned, r.dkim,
                  r.disposition, r.result);
}

void text(pugi::xml_node parent, const char* name, const std::string& value) {
  parent.append_child(name).text().set(value.c_str());
}

void policy_published(pugi::xml_node feedback, const std::string& domain, const store::Row& row,
                      const Metadata& metadata) {
  auto policy = feedback.append_child("policy_published");
  const auto p = row.policy.p.empty() ? "none" : row.policy.p;
  text(policy, "domain", domain);
  text(policy, "p", p);
  text(policy, "adkim", row.policy.adkim);
  text(policy, "aspf", row.policy.aspf);
  if (metadata.format == Format::rfc7489) {
    // Appendix C requires sp, pct and fo: their defaults when the history lacks them (RFC 7489 6.3).
    text(policy, "sp", row.policy.sp.empty() ? p : row.policy.sp);
    text(policy, "pct", std::to_string(row.policy.pct));
    text(policy, "fo", row.policy.fo.empty() ? "0" : row.policy.fo);
    return;
  }
  if (!row.policy.sp.empty()) text(policy, "sp", row.policy.sp);
  if (!row.policy.np.empty()) text(policy, "np", row.policy.np);
  text(policy, "discovery_method", metadata.discovery_method);
  if (!row.policy.fo.empty()) text(policy, "fo", row.policy.fo);
  text(policy, "testing", row.policy.testing ? "y" : "n");
}

void record(pugi::xml_node feedback, const Record& record, Format format) {
  const auto& r = record.row;
  auto node = feedback.append_child("record");
  auto row = node.append_child("row");
  text(row, "source_ip", source_ip(r.source_ip, format));
  text(row, "count", std::to_string(record.count));
  auto evaluated = row.append_child("policy_evaluated");
  text(evaluated, "disposition", evaluated_disposition(r, format));
  text(evaluated, "dkim", dkim_aligned_pass(r) ? "pass" : "fail");
  text(evaluated, "spf", spf_aligned_pass(r) ? "pass" : "fail");
  auto identifiers = node.append_child("identifiers");
  text(identifiers, "header_from", r.header_from);
  // RFC 7489 requires envelope_from: empty for a null sender.
  if (!r.envelope_from.empty() || format == Format::rfc7489) text(identifiers, "envelope_from", r.envelope_from);
  auto auth = node.append_child("auth_results");
  for (const auto& d : r.dkim) {
    auto dkim = auth.append_child("dkim");
    text(dkim, "domain", d.domain);
    text(dkim, "selector", d.selector);
    text(dkim, "result", d.result);
  }
  if (!r.spf_domain.empty() || format == Format::rfc7489) {  // RFC 7489: at least one spf
    auto spf = auth.append_child("spf");
    text(spf, "domain", r.spf_domain);
    text(spf, "scope", "mfrom");
    text(spf, "result", r.spf_result);
  }
}

}  // namespace

std::vector<Record> group_rows(std::span<const store::Row> rows) {
  std::vector<Record> out;
  for (const auto& row : rows) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Record& r) { return key(r.row) == key(row); });
    if (it == out.end()) out.push_back({row, 1});
    else ++it->count;
  }
  return out;
}

std::string aggregate_xml(const Metadata& metadata, const std::string& policy_domain,
                          std::span<const store::Row> rows) {
  std::vector<store::Row> mine;
  for (const auto& row : rows) {
    if (row.policy_domain == policy_domain && !row.source_ip.empty()) mine.push_back(row);
  }
  if (mine.empty()) return {};
  const auto newest = std::max_element(mine.begin(), mine.end(),
                                       [](const auto& a, const auto& b) { return a.time < b.time; });
  pugi::xml_document doc;
  auto declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version") = "1.0";
  declaration.append_attribute("encoding") = "UTF-8";
  auto feedback = doc.append_child("feedback");
  if (metadata.format == Format::rfc9990) feedback.append_attribute("xmlns") = "urn:ietf:params:xml:ns:dmarc-2.0";
  text(feedback, "version", "1.0");
  auto meta = feedback.append_child("report_metadata");
  text(meta, "org_name", metadata.org_name);
  text(meta, "email", metadata.email);
  text(meta, "report_id", metadata.report_id);
  auto range = meta.append_child("date_range");
  text(range, "begin", std::to_string(metadata.begin));
  text(range, "end", std::to_string(metadata.end - 1));
  if (!metadata.generator.empty() && metadata.format == Format::rfc9990) text(meta, "generator", metadata.generator);
  policy_published(feedback, policy_domain, *newest, metadata);
  for (const auto& r : group_rows(mine)) record(feedback, r, metadata.format);
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace domainauth::report
