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
std::vector<std::string> signed_names(const SignRequest& r, std::span<const mail::HeaderField> headers) {
  std::vector<std::string> names;
  auto listed = [&](std::string_view n) {
    return std::any_of(names.begin(), names.end(), [&](const auto& x) { return mail::iequals(x, n); });
  };
  auto add = [&](const std::string& name, bool over) {
    if (listed(name)) return;
    auto count = std::count_if(headers.begin(), headers.end(), [&](const auto& f) { return f.is(name); });
    for (long i = 0; i < count + (over ? 1 : 0); ++i) names.push_back(name);
  };
  add("From", std::any_of(r.oversign.begin(), r.oversign.end(), [](const auto& o) { return mail::iequals(o, "from"); }));
  for (const auto& h : r.headers) {
    bool over = std::any_of(r.oversign.begin(), r.oversign.end(), [&](const auto& o) { return mail::iequals(o, h); });
    add(h, over);
  }
  for (const auto& o : r.oversign) add(o, true);
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
  if (r.expire_after) s.expiration = static_cast<std::uint64_t>(now + *r.expire_after);
  for (const auto& n : signed_names(r, headers_)) s.headers.push_back(text::to_lower(n));
  s.bh = hashers_.digest(hasher);
  auto unsigned_field = mail::parse_header_field(format_signature(s, r.identity.has_value()));
  std::string data = header_hash_input(headers_, s.headers, s.header_canon, *unsigned_field);
  s.b = r.key.sign(s.algorithm, data);
  if (s.b.empty()) return {{}, "signing failed"};
  return {format_signature(s, r.identity.has_value()), {}};
}

}  // namespace domainauth::dkim
