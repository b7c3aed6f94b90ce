// RFC 6591 auth-failure report reader (ingest_failure.hpp).
#include "report/ingest_failure.hpp"

#include <utility>

#include "dmarc/author.hpp"
#include "dns/domain_name.hpp"
#include "mail/body_hash.hpp"
#include "mail/date.hpp"
#include "mail/header.hpp"
#include "net/address.hpp"
#include "text/ascii.hpp"
#include "text/utf8.hpp"

namespace domainauth::report {
namespace {

struct Field {
  std::string name;  // lower case
  std::string value;
};

struct Reader {
  std::vector<std::string>& notes;
  std::size_t skipped = 0, dropped = 0, cut = 0, replaced = 0;

  // The value unfolded, control characters made spaces, bad UTF-8 replaced, at most kMaxFieldValue octets.
  std::string clean(std::string_view raw) {
    auto value = mail::unfold(raw);
    for (auto& c : value) {
      if (text::is_control(c)) c = ' ';
    }
    auto repaired = text::repair_utf8(value, replaced);
    if (text::truncate_utf8(repaired, kMaxFieldValue)) ++cut;
    return repaired;
  }

  // The fields of a header-like block: lines starting with white space continue the
  // field before; lines that are not "name: value" are skipped; at most kMaxFeedbackFields.
  std::vector<Field> fields(std::string_view block) {
    std::vector<Field> out;
    std::string logical;
    const auto flush = [&] {
      if (logical.empty()) return;
      if (auto f = mail::parse_header_field(logical); !f) {
        ++skipped;
      } else if (out.size() < kMaxFeedbackFields) {
        out.push_back({text::to_lower(f->name), clean(f->value())});
      } else {
        ++dropped;
      }
      logical.clear();
    };
    for (std::size_t at = 0; at < block.size();) {
      auto eol = block.find('\n', at);
      if (eol == std::string_view::npos) eol = block.size();
      auto line = block.substr(at, eol - at);
      if (line.ends_with('\r')) line.remove_suffix(1);
      at = eol + 1;
      if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !logical.empty()) {
        if (logical.size() <= kMaxFieldValue * 4) logical.append("\r\n").append(line);
        continue;
      }
      flush();
      if (!text::trim_wsp(line).empty()) logical = line;
    }
    flush();
    return out;
  }

  void finish() {
    if (skipped > 0) notes.push_back(std::to_string(skipped) + " line(s) that are no field skipped");
    if (dropped > 0) notes.push_back(std::to_string(dropped) + " field(s) beyond " + std::to_string(kMaxFeedbackFields) + " in a part ignored");
    if (cut > 0) notes.push_back(std::to_string(cut) + " field value(s) cut to " + std::to_string(kMaxFieldValue) + " octets");
    if (replaced > 0) notes.push_back(std::to_string(replaced) + " octet(s) of bad UTF-8 replaced");
  }
};

// The first value of name; with join, every value joined by it.
std::string value_of(const std::vector<Field>& fields, std::string_view name, std::string_view join = {}) {
  std::string out;
  for (const auto& f : fields) {
    if (f.name != name) continue;
    if (join.empty()) return f.value;
    if (!out.empty()) out += join;
    out += f.value;
    if (text::truncate_utf8(out, kMaxFieldValue)) return out;
  }
  return out;
}

// A domain name (dns::is_domain_name), lower case, without a trailing dot; "" when it is not one.
std::string domain_name(std::string_view s) {
  s = text::trim_wsp(s);
  if (!dns::is_domain_name(s)) return {};
  if (s.ends_with('.')) s.remove_suffix(1);
  return text::to_lower(s);
}

// The (first) author domain of a From value (dmarc/author.hpp): "Name <a@b.example>" -> "b.example".
std::string address_domain(std::string_view from) {
  const auto author = dmarc::extract_author(from);
  return author.domains.empty() ? std::string() : author.domains.front();
}

// Reporting-MTA (RFC 5965 3.2: "dns; mta.example.net"): the name after the type.
std::string mta_name(std::string_view value) {
  const auto semicolon = value.find(';');
  return domain_name(semicolon == std::string_view::npos ? value : value.substr(semicolon + 1));
}

// The first word, lower case: "DKIM (bodyhash)" -> "dkim".
std::string token(std::string_view value) {
  value = text::trim_wsp(value);
  std::size_t end = 0;
  while (end < value.size() && (text::is_alnum(value[end]) || value[end] == '-' || value[end] == '_')) ++end;
  return text::to_lower(value.substr(0, end));
}

std::string sha256_hex(std::string_view bytes) {
  return text::to_hex(mail::digest(mail::DigestAlgorithm::sha256, bytes));
}

}  // namespace

ParsedFailure parse_failure(const Feedback& feedback, std::int64_t now) {
  ParsedFailure out;
  if (text::trim_wsp(feedback.fields).empty()) {
    out.error = "a feedback report without its message/feedback-report part";
    return out;
  }
  Reader reader{out.notes};
  const auto fields = reader.fields(feedback.fields);
  const auto original = reader.fields(feedback.original);
  reader.finish();
  const auto get = [&](std::string_view name) { return value_of(fields, name); };

  // RFC 5965 3.1: Feedback-Type is required; RFC 6591 3.1 defines auth-failure.
  const auto type = token(get("feedback-type"));
  if (type.empty()) {
    out.error = "no Feedback-Type field (RFC 5965 3.1)";
    return out;
  }
  if (type != "auth-failure") {
    out.error = "Feedback-Type " + type + " is not an authentication failure report (RFC 6591 auth-failure)";
    return out;
  }
  store::FailureReport r;
  r.auth_failure = token(get("auth-failure"));
  if (r.auth_failure.empty()) {
    out.error = "no Auth-Failure field (RFC 6591 3.2.1)";
    return out;
  }
  if (feedback.original.empty()) out.notes.emplace_back("no copy of the original header (RFC 6591 3.1 third part)");
  r.header_from = value_of(original, "from");
  r.subject = value_of(original, "subject");
  r.message_id = value_of(original, "message-id");
  r.date = value_of(original, "date");

  r.reported_domain = domain_name(get("reported-domain"));
  if (r.reported_domain.empty()) {
    r.reported_domain = address_domain(r.header_from);
    if (r.reported_domain.empty()) {
      out.error = "no Reported-Domain and no From domain in the original header: no domain to file it under";
      return out;
    }
    out.notes.push_back("no Reported-Domain: filed under the original From domain " + r.reported_domain);
  }
  r.reporting_mta = get("reporting-mta");
  r.reporter = mta_name(r.reporting_mta);
  if (r.reporter.empty()) r.reporter = address_domain(feedback.report_from);
  if (r.reporter.empty()) out.notes.emplace_back("no Reporting-MTA and no From domain: the reporter is unknown");

  const auto source = get("source-ip");
  if (auto ip = net::IpAddress::parse(text::trim_wsp(source))) r.source_ip = ip->to_string();
  else if (!source.empty()) out.notes.push_back("Source-IP is not an address: " + source);

  r.arrival_date = get("arrival-date");
  if (r.arrival_date.empty()) r.arrival_date = get("received-date");  // its name in ARF drafts, still sent
  const auto arrival = r.arrival_date.empty() ? std::nullopt : mail::parse_date(r.arrival_date);
  if (arrival && *arrival > now + kMaxArrivalFuture) {
    out.error = "Arrival-Date " + r.arrival_date + " is in the future";
    return out;
  }
  if (!arrival) out.notes.emplace_back(r.arrival_date.empty() ? "no Arrival-Date: placed at the time it was read"
                                                              : "Arrival-Date not a date: placed at the time it was read");
  r.time = arrival.value_or(now);
  const bool arrival_known = arrival.has_value();

  r.original_mail_from = get("original-mail-from");
  r.original_rcpt_to = value_of(fields, "original-rcpt-to", ", ");
  r.authentication_results = value_of(fields, "authentication-results", "; ");
  r.dkim_domain = get("dkim-domain");
  r.dkim_identity = get("dkim-identity");
  r.dkim_selector = get("dkim-selector");
  r.spf_dns = value_of(fields, "spf-dns", "; ");
  r.identity_alignment = get("identity-alignment");
  r.delivery_result = token(get("delivery-result"));

  // The dedup key (ingest_failure.hpp says why).
  if (!r.reporter.empty() && !r.message_id.empty() && arrival_known) {
    r.key = "event:" + sha256_hex(r.reporter + '\n' + r.message_id + '\n' + std::to_string(r.time) + '\n' +
                                  r.auth_failure);
  } else {
    r.key = "content:" + sha256_hex(feedback.fields + '\n' + feedback.original);
  }
  out.report = std::move(r);
  return out;
}

}  // namespace domainauth::report
