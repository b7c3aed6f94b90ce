// RFC 8460 TLS report reader (ingest_tls.hpp), on nlohmann::json.
#include "report/ingest_tls.hpp"

#include <nlohmann/json.hpp>

#include "dns/domain_name.hpp"
#include "mail/date.hpp"
#include "net/address.hpp"
#include "text/ascii.hpp"
#include "text/utf8.hpp"

namespace domainauth::report {
namespace {

using Json = nlohmann::json;

struct Refused {
  std::string why;
};

// The deepest array / object nesting of the text (strings skipped); stops counting past limit.
std::size_t nesting(std::string_view s, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size() && deepest <= limit; ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

struct Reader {
  const TlsLimits& limits;
  std::size_t cut = 0;

  // Control characters made spaces, at most max_string octets (the text is valid UTF-8 already).
  std::string clean(std::string value) {
    for (auto& c : value) {
      if (text::is_control(c)) c = ' ';
    }
    if (text::truncate_utf8(value, limits.max_string)) ++cut;
    return value;
  }

  // A string member; "" when absent. Refused when present and not a string, or required and empty.
  std::string string(const Json& object, const char* name, bool required = false) {
    const auto it = object.find(name);
    if (it == object.end() || it->is_null()) {
      if (required) throw Refused{std::string("no ") + name};
      return {};
    }
    if (!it->is_string()) throw Refused{std::string(name) + " is not a string"};
    auto value = clean(it->get<std::string>());
    if (required && text::trim_wsp(value).empty()) throw Refused{std::string(name) + " is empty"};
    return value;
  }

  // A session count: a non-negative integer within max_sessions; 0 when absent and not required.
  std::uint64_t count(const Json& object, const char* name, bool required) {
    const auto it = object.find(name);
    if (it == object.end()) {
      if (required) throw Refused{std::string("no ") + name};
      return 0;
    }
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
      throw Refused{std::string(name) + " is not a count"};
    }
    const auto n = it->get<std::uint64_t>();
    if (n > limits.max_sessions) throw Refused{std::string(name) + " " + std::to_string(n) + " is more than " +
                                               std::to_string(limits.max_sessions)};
    return n;
  }

  // An array of strings joined by separator ("" when absent).
  std::string joined(const Json& object, const char* name, const char* separator) {
    const auto it = object.find(name);
    if (it == object.end() || it->is_null()) return {};
    if (!it->is_array()) throw Refused{std::string(name) + " is not an array"};
    std::string out;
    for (const auto& item : *it) {
      if (!item.is_string()) throw Refused{std::string(name) + " holds a value that is not a string"};
      if (!out.empty()) out += separator;
      out += clean(item.get<std::string>());
      if (text::truncate_utf8(out, limits.max_string)) {
        ++cut;
        break;
      }
    }
    return out;
  }

  const Json& object(const Json& parent, const char* name) {
    const auto it = parent.find(name);
    if (it == parent.end() || !it->is_object()) throw Refused{std::string("no ") + name + " object"};
    return *it;
  }

  const Json& array(const Json& parent, const char* name) {
    const auto it = parent.find(name);
    if (it == parent.end() || !it->is_array()) throw Refused{std::string("no ") + name + " array"};
    return *it;
  }
};

std::int64_t datetime(Reader& reader, const Json& range, const char* name) {
  const auto value = reader.string(range, name, true);
  const auto time = mail::parse_rfc3339(value);
  if (!time) throw Refused{std::string(name) + " " + value + " is not an RFC 3339 date-time"};
  return *time;
}

store::TlsFailure failure(Reader& reader, const Json& detail) {
  if (!detail.is_object()) throw Refused{"a failure-details entry is not an object"};
  store::TlsFailure f;
  f.result_type = text::to_lower(reader.string(detail, "result-type", true));
  f.sending_mta_ip = reader.string(detail, "sending-mta-ip");
  f.receiving_mx_hostname = text::to_lower(reader.string(detail, "receiving-mx-hostname"));
  f.receiving_ip = reader.string(detail, "receiving-ip");
  for (auto* ip : {&f.sending_mta_ip, &f.receiving_ip}) {
    if (ip->empty()) continue;
    const auto parsed = net::IpAddress::parse(*ip);
    if (!parsed) throw Refused{"failure-details address " + *ip + " is not an IP address"};
    *ip = parsed->to_string();
  }
  f.sessions = reader.count(detail, "failed-session-count", true);
  f.reason = reader.string(detail, "failure-reason-code");
  return f;
}

store::TlsReport report(Reader& reader, const Json& doc, std::int64_t now) {
  const auto& limits = reader.limits;
  if (!doc.is_object()) throw Refused{"the document is not a JSON object"};
  store::TlsReport r;
  r.org_name = reader.string(doc, "organization-name", true);
  r.report_id = reader.string(doc, "report-id", true);
  r.contact = reader.string(doc, "contact-info");
  const auto& range = reader.object(doc, "date-range");
  r.begin = datetime(reader, range, "start-datetime");
  r.end = datetime(reader, range, "end-datetime");
  if (r.end < r.begin) throw Refused{"date-range ends before it starts"};
  if (r.end > now + limits.max_future) throw Refused{"date-range ends in the future"};
  if (r.end - r.begin > limits.max_span) throw Refused{"date-range longer than " + std::to_string(limits.max_span / 86400) + " days"};
  const auto& policies = reader.array(doc, "policies");
  if (policies.empty()) throw Refused{"no policies"};
  if (policies.size() > limits.max_policies) throw Refused{"more than " + std::to_string(limits.max_policies) + " policies"};
  std::size_t details = 0;
  for (const auto& entry : policies) {
    if (!entry.is_object()) throw Refused{"a policies entry is not an object"};
    const auto& policy = reader.object(entry, "policy");
    store::TlsPolicy p;
    p.policy_type = text::to_lower(reader.string(policy, "policy-type", true));
    p.policy_string = reader.joined(policy, "policy-string", "\n");
    p.policy_domain = text::to_lower(reader.string(policy, "policy-domain", true));
    if (!dns::is_domain_name(p.policy_domain)) throw Refused{"policy-domain " + p.policy_domain + " is not a domain name"};
    if (p.policy_domain.ends_with('.')) p.policy_domain.pop_back();
    p.mx_host = reader.joined(policy, "mx-host", " ");
    const auto& summary = reader.object(entry, "summary");
    p.successful = reader.count(summary, "total-successful-session-count", true);
    p.failed = reader.count(summary, "total-failure-session-count", true);
    if (const auto it = entry.find("failure-details"); it != entry.end() && !it->is_null()) {
      if (!it->is_array()) throw Refused{"failure-details is not an array"};
      details += it->size();
      if (details > limits.max_failures) throw Refused{"more than " + std::to_string(limits.max_failures) + " failure-details"};
      for (const auto& detail : *it) p.failures.push_back(failure(reader, detail));
    }
    r.policies.push_back(std::move(p));
  }
  return r;
}

}  // namespace

bool looks_like_json(std::string_view text) {
  text = text::trim_fws(text);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  return text.starts_with('{');
}

ParsedTls parse_tls(std::string_view json, std::int64_t now, const TlsLimits& limits) {
  ParsedTls out;
  if (json.size() > limits.max_document) {
    out.error = "larger than " + std::to_string(limits.max_document) + " octets";
    return out;
  }
  if (nesting(json, limits.max_depth) > limits.max_depth) {
    out.error = "nested deeper than " + std::to_string(limits.max_depth);
    return out;
  }
  std::size_t replaced = 0;
  auto text = text::repair_utf8(json, replaced);
  if (replaced > 0) out.notes.push_back(std::to_string(replaced) + " octet(s) of bad UTF-8 replaced");
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  const auto doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    out.error = "not valid JSON (RFC 8259)";
    return out;
  }
  Reader reader{limits};
  try {
    out.report = report(reader, doc, now);
  } catch (const Refused& refused) {
    out.error = refused.why;
    return out;
  }
  if (reader.cut > 0) out.notes.push_back(std::to_string(reader.cut) + " string(s) cut to " + std::to_string(limits.max_string) + " octets");
  return out;
}

}  // namespace domainauth::report
