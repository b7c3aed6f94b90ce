// MTA-STS record and policy parsing (see mta_sts.hpp). RFC 8461 3.1, 3.2, 4.1.
#include "setup/mta_sts.hpp"

#include "dkim/tag_list.hpp"
#include "dns/domain_name.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup {
namespace {

constexpr std::string_view kVersion = "STSv1";
constexpr std::size_t kMaxIdLength = 32;
constexpr std::size_t kMaxAgeDigits = 10;  // RFC 8461 3.2: max_age = 1*10DIGIT

// RFC 8461 3.2: an mx value is a host name, or "*." and a domain (4.1).
bool valid_pattern(std::string_view pattern) {
  const std::string_view host = pattern.starts_with("*.") ? pattern.substr(2) : pattern;
  return dns::is_domain_name(host) && !host.ends_with('.') && host.find('.') != std::string_view::npos;
}

void read_field(std::string_view key, std::string_view value, MtaStsPolicy& policy, bool& version_seen) {
  if (key == "version") {
    if (version_seen) policy.errors.push_back("version given twice");
    if (value != kVersion) policy.errors.push_back("version is \"" + std::string(value.substr(0, 40)) + "\", not STSv1");
    version_seen = true;
  } else if (key == "mode") {
    if (policy.mode) policy.errors.push_back("mode given twice");
    if (value == "enforce") policy.mode = MtaStsMode::enforce;
    else if (value == "testing") policy.mode = MtaStsMode::testing;
    else if (value == "none") policy.mode = MtaStsMode::none;
    else policy.errors.push_back("mode \"" + std::string(value.substr(0, 40)) + "\" is not enforce, testing or none");
  } else if (key == "max_age") {
    if (policy.max_age) policy.errors.push_back("max_age given twice");
    auto age = dkim::parse_decimal(value, kMaxAgeDigits);
    if (!age) policy.errors.push_back("max_age \"" + std::string(value.substr(0, 40)) + "\" is not 1 to 10 digits");
    else if (*age > kMtaStsMaxAge) policy.errors.push_back("max_age " + std::to_string(*age) + " is over a year (31557600)");
    else policy.max_age = age;
  } else if (key == "mx") {
    if (!valid_pattern(value)) policy.errors.push_back("mx \"" + std::string(value.substr(0, 80)) + "\" is not a host name or *.domain pattern");
    else if (policy.mx.size() >= kMaxMtaStsPatterns) policy.errors.push_back("more than " + std::to_string(kMaxMtaStsPatterns) + " mx lines");
    else policy.mx.push_back(text::to_lower(value));
  }
}

}  // namespace

std::string_view to_string(MtaStsMode mode) {
  switch (mode) {
    case MtaStsMode::enforce: return "enforce";
    case MtaStsMode::testing: return "testing";
    case MtaStsMode::none: return "none";
  }
  return "unknown";
}

bool is_mta_sts_record(std::string_view txt) {
  txt = text::trim_wsp(txt);
  if (!txt.starts_with("v=STSv1")) return false;
  txt.remove_prefix(7);
  txt = text::trim_wsp(txt);
  return txt.empty() || txt.front() == ';';
}

MtaStsRecord parse_mta_sts_record(std::string_view txt) {
  MtaStsRecord out;
  const dkim::TagList tags = dkim::parse_tag_list(txt);
  if (!tags.ok()) {
    out.error = tags.error;
    return out;
  }
  if (tags.tags.empty() || tags.tags.front().name != "v" || tags.tags.front().value != kVersion) {
    out.error = "the record does not start with v=STSv1";
    return out;
  }
  auto id = tags.find("id");
  if (!id) {
    out.error = "no id= field";
    return out;
  }
  if (id->empty() || id->size() > kMaxIdLength) {
    out.error = "id= must be 1 to 32 letters or digits";
    return out;
  }
  for (char c : *id) {
    if (!text::is_alnum(c)) {
      out.error = "id= must be 1 to 32 letters or digits";
      return out;
    }
  }
  out.id = std::string(*id);
  return out;
}

MtaStsPolicy parse_mta_sts_policy(std::string_view text) {
  MtaStsPolicy policy;
  bool version_seen = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (policy.errors.size() >= kMaxMtaStsPolicyErrors) break;  // junk: the rest is not read
    std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (text::trim_wsp(line).empty()) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      policy.errors.push_back("line \"" + std::string(line.substr(0, 40)) + "\" is not \"key: value\"");
      continue;
    }
    const std::string_view key = text::trim_wsp(line.substr(0, colon));
    const std::string_view value = text::trim_wsp(line.substr(colon + 1));
    read_field(key, value, policy, version_seen);
  }
  if (!version_seen) policy.errors.push_back("no version: STSv1 line");
  if (!policy.mode) policy.errors.push_back("no mode: line");
  if (!policy.max_age) policy.errors.push_back("no max_age: line");
  if (policy.mx.empty() && policy.mode != MtaStsMode::none) policy.errors.push_back("no mx: line");
  if (policy.errors.size() > kMaxMtaStsPolicyErrors) {
    policy.errors.resize(kMaxMtaStsPolicyErrors);
    policy.errors.push_back("more problems not listed");
  }
  return policy;
}

bool mta_sts_mx_matches(std::string_view pattern, std::string_view host) {
  if (pattern.starts_with("*.")) {
    const std::size_t dot = host.find('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    return text::iequals(host.substr(dot + 1), pattern.substr(2));
  }
  return text::iequals(pattern, host);
}

}  // namespace domainauth::setup
