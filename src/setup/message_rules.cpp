// The rules of `check --message` (setup/message_rules.hpp).
#include "setup/message_rules.hpp"

#include <algorithm>

#include "dkim/signature.hpp"
#include "text/ascii.hpp"

namespace domainauth::setup {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Skips white space and RFC 5322 comments (nesting bounded, quoted pairs
// honoured). False on an unclosed or too deeply nested comment.
bool skip_cfws(std::string_view s, std::size_t& i) {
  while (i < s.size()) {
    if (is_wsp(s[i])) {
      ++i;
      continue;
    }
    if (s[i] != '(') return true;
    int depth = 0;
    for (; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '(') {
        if (++depth > kMaxCommentDepth) return false;
      } else if (s[i] == ')' && --depth == 0) {
        break;
      }
    }
    if (i >= s.size()) return false;
    ++i;
  }
  return true;
}

// RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
bool has_uri_scheme(std::string_view uri) {
  const auto colon = uri.find(':');
  if (colon == 0 || colon == std::string_view::npos || !text::is_alpha(uri[0])) return false;
  return std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon),
                     [](char c) { return text::is_alpha(c) || text::is_digit(c) || c == '+' || c == '-' || c == '.'; });
}

std::size_t count_fields(const std::vector<mail::HeaderField>& headers, std::string_view name) {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(), [&](const mail::HeaderField& f) { return f.is(name); }));
}

const mail::HeaderField* first_field(const std::vector<mail::HeaderField>& headers, std::string_view name) {
  for (const auto& f : headers) {
    if (f.is(name)) return &f;
  }
  return nullptr;
}

// RFC 5322 3.6: exactly one of these fields.
void check_once(const MessageFacts& facts, Report& report, std::string id, std::string_view name, std::string fix) {
  const auto n = count_fields(facts.headers, name);
  if (n == 1) {
    report.add(std::move(id), Severity::ok, "one " + std::string(name) + " field");
  } else if (n == 0) {
    report.add(std::move(id), Severity::error, "no " + std::string(name) + " field (RFC 5322 3.6 requires one)",
               std::move(fix));
  } else {
    report.add(std::move(id), Severity::error,
               std::to_string(n) + " " + std::string(name) + " fields (RFC 5322 3.6 allows one)",
               "Make your mail program write a single " + std::string(name) + " field.");
  }
}

// The DKIM-Signature fields that verified (matched to the engine's results by b=).
std::vector<dkim::Signature> passing_signatures(const MessageFacts& facts) {
  std::vector<dkim::Signature> out;
  for (const auto& field : facts.headers) {
    if (!field.is("DKIM-Signature")) continue;
    auto parsed = dkim::parse_signature(field.value());
    if (!parsed.ok()) continue;
    const bool passed = std::any_of(facts.dkim.begin(), facts.dkim.end(), [&](const dkim::SignatureResult& r) {
      return r.result == dkim::Result::pass && r.b == parsed.signature.b_text;
    });
    if (passed) out.push_back(std::move(parsed.signature));
  }
  return out;
}

bool signed_by(const std::vector<dkim::Signature>& signatures, std::string_view name) {
  return std::any_of(signatures.begin(), signatures.end(), [&](const dkim::Signature& s) {
    return std::any_of(s.headers.begin(), s.headers.end(), [&](const std::string& h) { return text::iequals(h, name); });
  });
}

void check_unsubscribe(const MessageFacts& facts, Report& report) {
  const Severity missing = facts.bulk ? Severity::error : Severity::info;
  const std::string bulk_note = facts.bulk ? "" : " (required of bulk senders only)";
  const auto* lu = first_field(facts.headers, "List-Unsubscribe");
  const auto* post = first_field(facts.headers, "List-Unsubscribe-Post");
  if (!lu) {
    report.add("message.list_unsubscribe", missing, "no List-Unsubscribe field" + bulk_note,
               "Add List-Unsubscribe: <https://...> with a per-recipient unsubscribe URL (RFC 8058).");
  } else if (count_fields(facts.headers, "List-Unsubscribe") > 1) {
    report.add("message.list_unsubscribe", Severity::error, "several List-Unsubscribe fields (RFC 8058 3.1 wants one)",
               "Write one List-Unsubscribe field listing every URI.");
  } else if (auto parsed = parse_list_unsubscribe(mail::unfold(lu->value())); !parsed.error.empty()) {
    report.add("message.list_unsubscribe", Severity::error, "List-Unsubscribe is malformed: " + parsed.error,
               "Write List-Unsubscribe as <https://...>, <mailto:...> (RFC 2369 3.2).");
  } else if (!parsed.has_scheme("https")) {
    report.add("message.list_unsubscribe", facts.bulk ? Severity::error : Severity::warning,
               "List-Unsubscribe has no HTTPS URI: one-click unsubscribe is impossible",
               "Add an <https://...> URI to List-Unsubscribe that unsubscribes on a POST (RFC 8058 3.1).");
  } else {
    report.add("message.list_unsubscribe", Severity::ok, "List-Unsubscribe has an HTTPS URI");
  }

  if (!post) {
    report.add("message.list_unsubscribe_post", lu ? (facts.bulk ? Severity::error : Severity::warning) : missing,
               "no List-Unsubscribe-Post field" + bulk_note,
               "Add List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 3.1).");
  } else if (count_fields(facts.headers, "List-Unsubscribe-Post") > 1 ||
             mail::unfold(post->value()) != "List-Unsubscribe=One-Click") {
    report.add("message.list_unsubscribe_post", Severity::error,
               "List-Unsubscribe-Post is not the single value List-Unsubscribe=One-Click",
               "Write exactly one List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 5).");
  } else {
    report.add("message.list_unsubscribe_post", Severity::ok, "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
  }

  if (!lu && !post) return;
  const auto signatures = passing_signatures(facts);
  std::string unsigned_fields;
  for (const auto* f : {lu, post}) {
    if (f && !signed_by(signatures, f->name)) unsigned_fields += (unsigned_fields.empty() ? "" : " and ") + f->name;
  }
  if (unsigned_fields.empty()) {
    report.add("message.unsubscribe_signed", Severity::ok, "the unsubscribe fields are in h= of a valid DKIM signature");
  } else {
    report.add("message.unsubscribe_signed", Severity::error,
               unsigned_fields + " not covered by a valid DKIM signature (RFC 8058 4)",
               "Add the fields before the mail reaches the milter, and keep them in [sign] headers if you set it.");
  }
}

void check_alignment(const MessageFacts& facts, Report& report) {
  const auto& d = facts.dmarc;
  const bool judged = d && d->record;
  const bool dkim_pass = std::any_of(facts.dkim.begin(), facts.dkim.end(),
                                     [](const dkim::SignatureResult& r) { return r.result == dkim::Result::pass; });
  const bool dkim_aligned = judged && std::any_of(d->dkim.begin(), d->dkim.end(),
                                                  [](const dmarc::IdentifierCheck& c) { return c.aligned; });
  const std::string author = d ? d->author_domain : std::string();
  if (!dkim_pass) {
    report.add("message.dkim_aligned", Severity::error, "no valid DKIM signature",
               "Send the message through domainauth's milter so it is signed for the From domain.");
  } else if (!judged) {
    report.add("message.dkim_aligned", Severity::warning,
               "alignment with From not judged: no DMARC record for the From domain",
               "Publish a DMARC record for the From domain (domainauth check DOMAIN shows it).");
  } else if (!dkim_aligned) {
    report.add("message.dkim_aligned", Severity::error, "no valid DKIM signature has a d= aligned with From " + author,
               "Sign with a key of the From domain (a [[sign.key]] with domain = \"" + author + "\").");
  } else {
    report.add("message.dkim_aligned", Severity::ok, "a valid DKIM signature is aligned with From " + author);
  }

  if (!facts.spf_pass) {
    report.add("message.spf_aligned", Severity::error,
               "SPF does not pass for " + (facts.spf_domain.empty() ? std::string("the sender") : facts.spf_domain),
               "Add the sending address to the SPF record of the envelope sender's domain.");
  } else if (!judged) {
    report.add("message.spf_aligned", Severity::warning,
               "alignment with From not judged: no DMARC record for the From domain",
               "Publish a DMARC record for the From domain (domainauth check DOMAIN shows it).");
  } else if (!d->spf.aligned) {
    report.add("message.spf_aligned", Severity::warning,
               "the SPF domain " + facts.spf_domain + " is not aligned with From " + author,
               "Use an envelope sender (Return-Path) in the From domain so SPF aligns too.");
  } else {
    report.add("message.spf_aligned", Severity::ok, "the SPF domain is aligned with From " + author);
  }
}

}  // namespace

bool ListUnsubscribe::has_scheme(std::string_view scheme) const {
  return std::any_of(uris.begin(), uris.end(), [&](const std::string& uri) {
    return uri.size() > scheme.size() && uri[scheme.size()] == ':' && text::iequals(uri.substr(0, scheme.size()), scheme);
  });
}

ListUnsubscribe parse_list_unsubscribe(std::string_view value) {
  ListUnsubscribe out;
  if (value.size() > kMaxListUnsubscribeBytes) {
    out.error = "longer than " + std::to_string(kMaxListUnsubscribeBytes) + " octets";
    return out;
  }
  std::size_t i = 0;
  while (true) {
    if (!skip_cfws(value, i)) {
      out.error = "unclosed or too deeply nested comment";
      break;
    }
    if (i >= value.size() || value[i] != '<') {
      out.error = i >= value.size() ? "no <URI>" : "expected '<' at offset " + std::to_string(i);
      break;
    }
    const auto close = value.find('>', i);
    if (close == std::string_view::npos) {
      out.error = "'<' without '>'";
      break;
    }
    std::string uri;
    for (char c : value.substr(i + 1, close - i - 1)) {
      if (!is_wsp(c)) uri += c;
    }
    if (!has_uri_scheme(uri)) {
      out.error = "<" + uri + "> is not a URI";
      break;
    }
    if (out.uris.size() == kMaxListUnsubscribeUris) {
      out.error = "more than " + std::to_string(kMaxListUnsubscribeUris) + " URIs";
      break;
    }
    out.uris.push_back(std::move(uri));
    i = close + 1;
    if (!skip_cfws(value, i)) {
      out.error = "unclosed or too deeply nested comment";
      break;
    }
    if (i == value.size()) return out;
    if (value[i] != ',') {
      out.error = "expected ',' at offset " + std::to_string(i);
      break;
    }
    ++i;
  }
  out.uris.clear();
  return out;
}

void check_message_rules(const MessageFacts& facts, Report& report) {
  check_once(facts, report, "message.from", "From", "Give the message a From field with your domain's address.");
  check_once(facts, report, "message.message_id", "Message-ID",
             "Have the mail program or Postfix add a Message-ID (Postfix adds one to mail submitted to it).");
  check_once(facts, report, "message.date", "Date", "Have the mail program or Postfix add a Date field.");
  check_unsubscribe(facts, report);
  check_alignment(facts, report);
}

}  // namespace domainauth::setup
