// DKIM signing (see signer.hpp). RFC 6376 5.3-5.6 (canonicalize, hash, sign,
// insert), 3.5 (tags), 8.15 (oversigning against added fields), RFC 8463 3.
#include "text/ascii.hpp"
#include "dkim/signer.hpp"

#include <algorithm>
#include <ctime>

#include "dkim/signature.hpp"

namespace domainauth::dkim {
namespace {

// h=: each listed field once per instance present, plus once more if oversigned.
// Names in order: From, the configured list, then oversigned fields not listed.
std::vector<std::string> signed_names(const SignRequest& r, std::span<const mail::HeaderField> headers) {
  struct Name {
    std::string_view text;
    bool over;
    std::size_t count = 0;
  };
  std::vector<Name> list;
  list.reserve(r.headers.size() + r.oversign.size() + 1);
  auto oversigned = [&](std::string_view n) {
    return std::any_of(r.oversign.begin(), r.oversign.end(), [&](const auto& o) { return mail::iequals(o, n); });
  };
  auto add = [&](std::string_view n) {
    if (std::none_of(list.begin(), list.end(), [&](const Name& x) { return mail::iequals(x.text, n); }))
      list.push_back({n, oversigned(n)});
  };
  add("From");
  for (const auto& h : r.headers) add(h);
  for (const auto& o : r.oversign) add(o);
  for (const auto& f : headers) {  // one pass over the message's fields
    auto it = std::find_if(list.begin(), list.end(), [&](const Name& x) { return f.is(x.text); });
    if (it != list.end()) ++it->count;
  }
  std::vector<std::string> names;
  for (const auto& n : list) {
    for (std::size_t i = 0; i < n.count + (n.over ? 1 : 0); ++i) names.push_back(text::to_lower(n.text));
  }
  return names;
}

}  // namespace

const std::vector<std::string>& default_signed_headers() {
  static const std::vector<std::string> fields = {
      "From", "Reply-To", "Subject", "Date", "To", "Cc", "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc",
      "In-Reply-To", "References", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
      "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe", "List-Post",
      "List-Owner", "List-Archive", "Sender"};
  return fields;
}

Signer::Signer(std::vector<SignRequest> requests, std::vector<mail::HeaderField> headers)
    : requests_(std::move(requests)), headers_(std::move(headers)) {
  for (const auto& r : requests_) hasher_of_.push_back(hashers_.add(r.body_canon, digest_of(r.key.algorithm()), {}));
}

std::vector<SignOutput> Signer::finish() {
  hashers_.finish();
  std::vector<SignOutput> out;
  for (std::size_t i = 0; i < requests_.size(); ++i) out.push_back(sign_one(requests_[i], hasher_of_[i]));
  return out;
}

SignOutput Signer::sign_one(const SignRequest& r, std::size_t hasher) const {
  if (std::none_of(headers_.begin(), headers_.end(), [](const auto& f) { return f.is("From"); }))
    return {{}, "the message has no From field (RFC 5322 3.6, RFC 6376 5.4)"};
  if (r.identity && !is_within(identity_domain(*r.identity), r.domain))
    return {{}, "i= " + *r.identity + " is not within d=" + r.domain};
  Signature s;
  s.algorithm = r.key.algorithm();
  s.header_canon = r.header_canon;
  s.body_canon = r.body_canon;
  s.domain = text::to_lower(r.domain);
  s.selector = r.selector;
  if (r.identity) s.identity = *r.identity;
  std::int64_t now = r.now != 0 ? r.now : static_cast<std::int64_t>(std::time(nullptr));
  if (r.timestamp) s.timestamp = static_cast<std::uint64_t>(now);
  s.reports_requested = r.request_reports;
  if (r.expire_after) s.expiration = static_cast<std::uint64_t>(now + *r.expire_after);
  s.headers = signed_names(r, headers_);
  s.bh = hashers_.digest(hasher);
  // RFC 6376 3.7: the field is hashed with an empty b=; the signature is then appended.
  mail::HeaderField field{std::string(kSignatureField), format_signature_head(s, r.identity.has_value())};
  std::string b = r.key.sign(s.algorithm, header_hash_input(headers_, s.headers, s.header_canon, field));
  if (b.empty()) return {{}, "signing failed"};
  append_folded_b(field.raw, b);
  return {std::move(field.raw), {}};
}

}  // namespace domainauth::dkim
