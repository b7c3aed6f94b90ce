// Authentication failure reports (see failure.hpp): RFC 9989 4.7 (fo=), RFC
// 9991 2 and 4, RFC 6651 3.1 (r=y), RFC 6591 3 (auth-failure fields), RFC 5965
// 2-3 (ARF message structure), RFC 6590 (redaction), RFC 6522 (multipart/report).
#include "report/failure.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "dmarc/text.hpp"
#include "mail/lexical.hpp"
#include "text/ascii.hpp"

namespace domainauth::report {
namespace {

constexpr std::size_t kTokenHexDigits = 16;
constexpr std::size_t kLineWidth = 78;  // RFC 5322 2.1.1

// One line of generated field text: CR and LF dropped (values come from mail).
std::string one_line(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c != '\r' && c != '\n') out += c;
  }
  return out;
}

// "name: value" CRLF, folded before a space where the next word would pass
// kLineWidth (unfolding removes only the CRLF, so the value is unchanged; RFC
// 5322 2.2.3). A word longer than a line stays whole.
void field(std::string& out, std::string_view name, std::string_view value) {
  while (!value.empty() && text::is_wsp(value.front())) value.remove_prefix(1);
  const std::string text = one_line(value);
  out += name;
  out += ": ";
  std::size_t column = name.size() + 2;
  for (std::size_t pos = 0;;) {
    const auto end = std::min(text.find(' ', pos + 1), text.size());
    const std::string_view word = std::string_view(text).substr(pos, end - pos);  // with its leading space
    if (pos > 0 && column + word.size() > kLineWidth) {
      out += "\r\n";
      column = 0;
    }
    out += word;
    column += word.size();
    if (end == text.size()) break;
    pos = end;
  }
  out += "\r\n";
}

// RFC 6591 4 spf-dns: "txt : domain : quoted-string". The record is any TXT
// record that starts "v=spf1": its controls are dropped as in Authentication-Results.
std::string spf_dns(const spf::RecordUsed& record) {
  return "txt : " + record.domain + " : " + mail::quoted_string(record.text, mail::Unprintable::drop);
}

bool dkim_aligned_pass(const dmarc::Outcome& o) {
  return std::any_of(o.dkim.begin(), o.dkim.end(), [](const auto& d) { return d.aligned; });
}

// A failed signature of an aligned identifier (RFC 9991 4 item 1): d= is the
// author domain, or under the Organizational Domain the policy came from.
bool aligned_identifier(const dmarc::Outcome& o, std::string_view domain) {
  if (text::iequals(domain, o.author_domain)) return true;
  const std::string& org = o.org_domain ? *o.org_domain : o.policy_domain;
  if (org.empty()) return false;
  if (text::iequals(domain, org)) return true;
  return domain.size() > org.size() && domain[domain.size() - org.size() - 1] == '.' &&
         text::iequals(domain.substr(domain.size() - org.size()), org);
}

const ReportedSignature* reported_signature(const ReportedMessage& m, const Trigger& t) {
  if (t.type != AuthFailure::dmarc && t.type != AuthFailure::spf)
    return t.signature < m.dkim.size() ? &m.dkim[t.signature] : nullptr;
  if (t.type != AuthFailure::dmarc) return nullptr;
  for (const auto& s : m.dkim) {
    if (s.failed && aligned_identifier(m.outcome, s.domain)) return &s;
  }
  return nullptr;
}

// A local-part octet to redact: UTF-8 atext (RFC 6532 3.2) and "." (dot-atom);
// "=" ends the scan so "smtp.mailfrom=user@" redacts "user" only.
bool is_local_part_char(char c) { return (mail::is_utf8_atext(c) && c != '=') || c == '.'; }

bool starts_domain(std::string_view text, std::size_t at) {
  if (at + 1 >= text.size()) return false;
  const char c = text[at + 1];
  return text::is_alnum(c) || c == '[' || static_cast<unsigned char>(c) >= 0x80;
}

// Fields whose "@" are message identifiers, not addresses.
bool is_identifier_field(const mail::HeaderField& f) {
  return f.is("Message-ID") || f.is("In-Reply-To") || f.is("References") || f.is("Content-ID") ||
         f.is("Resent-Message-ID");
}

std::string human_part(const ReportedMessage& m, const Trigger& t, const Composition& c) {
  std::string out = "This is an authentication failure report for an email message received";
  if (!m.source_ip.empty()) out += " from IP " + one_line(m.source_ip);
  out += " on " + c.arrival_date + ".\r\n\r\n";
  switch (t.type) {
    case AuthFailure::dmarc:
      out += "The message failed to produce an aligned pass for: " + identity_alignment(m.outcome) +
             " (DMARC policy of " + one_line(m.outcome.policy_domain) + ").\r\n";
      break;
    case AuthFailure::signature: out += "A DKIM signature of the message did not verify.\r\n"; break;
    case AuthFailure::bodyhash: out += "The body hash of a DKIM signature of the message did not match.\r\n"; break;
    case AuthFailure::revoked: out += "A DKIM signature of the message names a revoked key.\r\n"; break;
    case AuthFailure::spf: out += "The message failed SPF.\r\n"; break;
  }
  if (t.by_signer) {
    out += "The signature asked for this report (r=y, RFC 6651); its signing domain " +
           one_line(reported_domain(m, t)) + " publishes a reporting record.\r\n";
  }
  out += "Delivery result: " + std::string(to_string(m.delivery)) + ".\r\n";
  return out;
}

std::string feedback_part(const ReportedMessage& m, const Trigger& t, const Composition& c) {
  std::string out;
  field(out, "Feedback-Type", "auth-failure");
  field(out, "User-Agent", c.user_agent);
  field(out, "Version", "1");
  field(out, "Auth-Failure", to_string(t.type));
  if (!m.queue_id.empty()) field(out, "Original-Envelope-Id", m.queue_id);
  field(out, "Original-Mail-From", "<" + m.mail_from + ">");
  field(out, "Arrival-Date", c.arrival_date);
  if (!m.source_ip.empty()) field(out, "Source-IP", m.source_ip);
  field(out, "Reported-Domain", reported_domain(m, t));
  switch (t.type) {
    case AuthFailure::dmarc: field(out, "Authentication-Results", m.dmarc_authres); break;
    case AuthFailure::spf: field(out, "Authentication-Results", m.spf_authres); break;
    case AuthFailure::signature:
    case AuthFailure::bodyhash:
    case AuthFailure::revoked:
      if (t.signature < m.dkim.size()) field(out, "Authentication-Results", m.dkim[t.signature].authres);
      break;
  }
  if (t.type == AuthFailure::dmarc) field(out, "Identity-Alignment", identity_alignment(m.outcome));
  if (const auto* s = reported_signature(m, t)) {
    field(out, "DKIM-Domain", s->domain);
    if (!s->identity.empty()) field(out, "DKIM-Identity", s->identity);
    field(out, "DKIM-Selector", s->selector);
  }
  // RFC 9991 2 item 1: required for an SPF failure (RFC 6591 3.2.6: once per
  // SPF record used); written whenever SPF failed, aligned or not.
  if (t.type == AuthFailure::spf || (t.type == AuthFailure::dmarc && m.spf_failed)) {
    for (const auto& record : m.spf_records) field(out, "SPF-DNS", spf_dns(record));
  }
  field(out, "Delivery-Result", to_string(m.delivery));
  return out;
}

std::string original_part(const ReportedMessage& m, const Composition& c, bool with_body) {
  std::string out;
  for (const auto& f : m.headers) {
    out += c.redactor && !is_identifier_field(f) ? c.redactor->text(f.raw) : f.raw;
    out += "\r\n";
  }
  if (with_body) {
    out += "\r\n";
    out += *m.body;
    if (!out.ends_with("\r\n")) out += "\r\n";
  }
  return out;
}

bool eight_bit(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

}  // namespace

std::string_view to_string(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::dmarc: return "dmarc";
    case AuthFailure::signature: return "signature";
    case AuthFailure::spf: return "spf";
    case AuthFailure::bodyhash: return "bodyhash";
    case AuthFailure::revoked: return "revoked";
  }
  return "dmarc";
}

std::string_view to_string(DeliveryResult result) {
  switch (result) {
    case DeliveryResult::delivered: return "delivered";
    case DeliveryResult::spam: return "spam";
    case DeliveryResult::policy: return "policy";
    case DeliveryResult::reject: return "reject";
    case DeliveryResult::other: return "other";
  }
  return "other";
}

std::vector<Trigger> failure_triggers(const ReportedMessage& m, bool copies) {
  std::vector<Trigger> out;
  const auto& o = m.outcome;
  if (!o.record || (o.record->ruf.empty() && !copies) || o.record->psd == dmarc::PsdFlag::yes) return out;
  const auto& fo = o.record->fo;
  const bool spf_aligned = o.spf.aligned;
  const bool dkim_aligned = dkim_aligned_pass(o);
  if ((fo.all_fail && !spf_aligned && !dkim_aligned) || (fo.any_fail && (!spf_aligned || !dkim_aligned))) {
    out.push_back({AuthFailure::dmarc, 0});
  }
  if (fo.dkim) {
    for (std::size_t i = 0; i < m.dkim.size(); ++i) {
      if (m.dkim[i].failed) out.push_back({AuthFailure::signature, i});
    }
  }
  if (fo.spf && m.spf_failed && !m.spf_authres.empty()) out.push_back({AuthFailure::spf, 0});
  return out;
}

std::vector<Trigger> signer_triggers(const ReportedMessage& m) {
  std::vector<Trigger> out;
  for (std::size_t i = 0; i < m.dkim.size(); ++i) {
    const auto& s = m.dkim[i];
    // d= becomes the recipient's domain: a name only (VALCHARs allow ",", "<", "@").
    if (!s.reports_requested || s.failure == dkim::Failure::none || !dmarc::is_domain_name(s.domain)) continue;
    const auto type = s.failure == dkim::Failure::body_hash ? AuthFailure::bodyhash
                      : s.failure == dkim::Failure::revoked ? AuthFailure::revoked
                                                            : AuthFailure::signature;
    out.push_back({type, i, true});
  }
  return out;
}

std::string reported_domain(const ReportedMessage& m, const Trigger& t) {
  if (t.by_signer && t.signature < m.dkim.size()) return m.dkim[t.signature].domain;
  return m.outcome.author_domain;
}

std::string identity_alignment(const dmarc::Outcome& outcome) {
  std::string out;
  if (!dkim_aligned_pass(outcome)) out = "dkim";
  if (!outcome.spf.aligned) out += out.empty() ? "spf" : ", spf";
  return out.empty() ? "none" : out;
}

std::string Redactor::token(std::string_view local_part) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(local_part.data()), local_part.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length && out.size() < kTokenHexDigits; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string Redactor::text(std::string_view text) const {
  std::string out;
  std::size_t copied = 0;  // text[0, copied) is in out
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    if (!starts_domain(text, at) || at == 0) continue;
    std::size_t begin = at;
    if (text[at - 1] == '"') {
      if (at < 2) continue;
      const auto open = text.rfind('"', at - 2);
      if (open == std::string_view::npos || open < copied) continue;
      begin = open;
    } else {
      while (begin > copied && is_local_part_char(text[begin - 1])) --begin;
    }
    if (begin == at) continue;
    out.append(text.substr(copied, begin - copied));
    out += token(text.substr(begin, at - begin));
    copied = at;
  }
  out.append(text.substr(copied));
  return out;
}

std::string failure_report(const ReportedMessage& m, const Trigger& t, const Composition& c) {
  const bool with_body = m.body && !c.redactor;
  std::string feedback = feedback_part(m, t, c);
  if (c.redactor) feedback = c.redactor->text(feedback);
  const std::string original = original_part(m, c, with_body);
  const std::string dash = "--" + c.boundary + "\r\n";

  std::string out;
  field(out, "From", c.from);
  std::string to;
  for (const auto& address : c.to) to += (to.empty() ? "" : ", ") + address;
  field(out, "To", to);
  field(out, "Date", c.date);
  field(out, "Subject", std::string(t.by_signer ? "DKIM" : "DMARC") + " failure report for " +
                            reported_domain(m, t) + " (" + std::string(to_string(t.type)) + ")");
  field(out, "Message-ID", c.message_id);
  field(out, "MIME-Version", "1.0");
  field(out, "Content-Type", "multipart/report; report-type=feedback-report; boundary=\"" + c.boundary + "\"");
  out += "\r\nThis is a MIME-formatted message (RFC 6591 authentication failure report).\r\n\r\n";

  out += dash;
  field(out, "Content-Type", "text/plain; charset=us-ascii");
  field(out, "Content-Transfer-Encoding", "7bit");
  out += "\r\n" + human_part(m, t, c) + "\r\n";

  out += dash;
  field(out, "Content-Type", "message/feedback-report");
  field(out, "Content-Transfer-Encoding", eight_bit(feedback) ? "8bit" : "7bit");
  out += "\r\n" + feedback + "\r\n";

  out += dash;
  field(out, "Content-Type", with_body ? "message/rfc822" : "text/rfc822-headers");
  field(out, "Content-Transfer-Encoding", eight_bit(original) ? "8bit" : "7bit");
  out += "\r\n" + original + "\r\n";
  out += "--" + c.boundary + "--\r\n";
  return out;
}

}  // namespace domainauth::report
