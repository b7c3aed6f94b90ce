// DKIM verification (see verifier.hpp). RFC 6376 6.1 (6.1.1 signature checks,
// 6.1.2 key lookup and checks, 6.1.3 hashes), RFC 8301 (rsa-sha1, key sizes),
// RFC 8463 (ed25519-sha256), RFC 8601 2.7.1 (result names).
#include "dkim/verifier.hpp"

#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <ctime>
#include <functional>
#include <map>
#include <optional>

#include "dkim/key_record.hpp"
#include "dkim/signature.hpp"

namespace domainauth::dkim {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// Key lookup answers, shared with the resolver's callbacks (which may outlive the Verifier).
struct Lookups {
  std::vector<std::optional<dns::Answer>> answers;
  std::size_t outstanding = 0;
  std::function<void()> waiter;
};

struct Entry {
  ParsedSignature parsed;
  mail::HeaderField field;  // the signature field without its b= value
  std::size_t hasher = kNone;
  std::size_t lookup = kNone;
  bool over_cap = false;
};

SignatureResult describe(const Entry& e) {
  const Signature& s = e.parsed.signature;
  SignatureResult r;
  r.domain = s.domain;
  r.selector = s.selector;
  r.identity = s.identity.empty() && !s.domain.empty() ? "@" + s.domain : s.identity;
  r.algorithm = s.algorithm_text;
  r.b = s.b_text;
  r.reports_requested = s.reports_requested;
  return r;
}

SignatureResult with(SignatureResult r, Result result, std::string reason, Failure failure = Failure::none) {
  r.result = result;
  r.reason = std::move(reason);
  r.failure = failure;
  return r;
}

// Waits until every lookup has answered. No owning captures in the co_await
// expression: g++ 12 destroys such temporaries twice; the Verifier keeps
// lookups alive while it waits.
asio::awaitable<void> wait_for(Lookups& lookups) {
  if (lookups.outstanding == 0) co_return;
  Lookups* target = &lookups;
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [target](auto handler) {
        // Resumed through the coroutine's own executor, never inside the resolver's callback.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        target->waiter = [shared]() { asio::post(std::move(*shared)); };
      },
      asio::use_awaitable);
}

// RFC 6376 6.1.2: the key record from the answer, or why there is none usable.
std::optional<KeyRecord> key_from(const dns::Answer& answer, SignatureResult& r) {
  r.key_dnssec = answer.dnssec;
  auto lookup = key_from_answer(answer);
  if (!lookup.record && lookup.transient) r = with(r, Result::temperror, lookup.error);
  if (!lookup.record && !lookup.transient) r = with(r, Result::permerror, lookup.error, Failure::dns);
  return std::move(lookup.record);
}

}  // namespace

std::string_view to_string(Result result) {
  switch (result) {
    case Result::pass: return "pass";
    case Result::fail: return "fail";
    case Result::neutral: return "neutral";
    case Result::policy: return "policy";
    case Result::temperror: return "temperror";
    case Result::permerror: return "permerror";
  }
  return "permerror";
}

struct Verifier::Impl {
  VerifyOptions options;
  std::vector<mail::HeaderField> headers;
  std::vector<Entry> entries;
  BodyHasherSet hashers;
  std::shared_ptr<Lookups> lookups = std::make_shared<Lookups>();

  [[nodiscard]] SignatureResult evaluate(const Entry& e) const;
  [[nodiscard]] SignatureResult check_crypto(const Entry& e, const KeyRecord& key, SignatureResult r) const;
};

Verifier::Verifier(dns::Resolver& resolver, VerifyOptions options, std::vector<mail::HeaderField> headers)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->headers = std::move(headers);
  std::map<std::string, std::size_t> names;  // key name -> lookup index
  std::vector<std::string> queries;
  for (const auto& field : impl_->headers) {
    if (!field.is(kSignatureField)) continue;
    Entry e;
    e.parsed = parse_signature(field.value());
    if (impl_->entries.size() >= options.max_signatures) {
      e.over_cap = true;
    } else if (e.parsed.ok()) {
      const Signature& s = e.parsed.signature;
      e.field = without_b_value(field);
      e.hasher = impl_->hashers.add(s.body_canon, digest_of(s.algorithm), s.length);
      std::string name = s.selector + "._domainkey." + s.domain;
      auto [it, fresh] = names.emplace(name, queries.size());
      if (fresh) queries.push_back(name);
      e.lookup = it->second;
    }
    impl_->entries.push_back(std::move(e));
  }
  impl_->lookups->answers.resize(queries.size());
  impl_->lookups->outstanding = queries.size();
  for (std::size_t i = 0; i < queries.size(); ++i) {
    resolver.query(queries[i], dns::RecordType::txt, [lookups = impl_->lookups, i](dns::Answer answer) {
      lookups->answers[i] = std::move(answer);
      if (--lookups->outstanding == 0 && lookups->waiter) std::exchange(lookups->waiter, nullptr)();
    });
  }
}

Verifier::~Verifier() = default;

void Verifier::body(std::string_view chunk) { impl_->hashers.feed(chunk); }

asio::awaitable<std::vector<SignatureResult>> Verifier::finish() {
  impl_->hashers.finish();
  co_await wait_for(*impl_->lookups);
  std::vector<SignatureResult> out;
  for (const auto& e : impl_->entries) out.push_back(impl_->evaluate(e));
  co_return out;
}

SignatureResult Verifier::Impl::evaluate(const Entry& e) const {
  SignatureResult r = describe(e);
  if (e.over_cap) {
    r.checked = false;
    return with(r, Result::policy, "not checked: more than " + std::to_string(options.max_signatures) + " signatures");
  }
  if (!e.parsed.ok()) return with(r, Result::permerror, e.parsed.error, Failure::syntax);
  const Signature& s = e.parsed.signature;
  auto now = static_cast<std::uint64_t>(options.now != 0 ? options.now : std::time(nullptr));
  if (s.expiration && now > *s.expiration) return with(r, Result::permerror, "signature expired", Failure::expired);  // 6.1.1
  if (s.algorithm == Algorithm::rsa_sha1 && !options.allow_rsa_sha1)
    return with(r, Result::policy, "rsa-sha1 is not accepted (RFC 8301)");
  auto key = key_from(*lookups->answers.at(e.lookup), r);
  if (!key) return r;
  r.testing = key->testing;
  if (auto why = unusable_for(*key, s.algorithm); !why.empty())
    return with(r, Result::permerror, why, key->revoked ? Failure::revoked : Failure::other);
  // RFC 6376 3.6.1 t=s: the i= domain must be d= itself, not a subdomain.
  if (key->strict && !mail::iequals(identity_domain(s.identity), s.domain))
    return with(r, Result::permerror, "key t=s forbids an i= subdomain of d=", Failure::other);
  return check_crypto(e, *key, std::move(r));
}

SignatureResult Verifier::Impl::check_crypto(const Entry& e, const KeyRecord& key, SignatureResult r) const {
  const Signature& s = e.parsed.signature;
  std::string error;
  auto public_key = PublicKey::from_record(key.type, key.public_key, &error);
  if (!public_key) return with(r, Result::permerror, error, Failure::dns);
  if (public_key->type() == KeyType::rsa && public_key->bits() < options.min_rsa_bits)
    return with(r, Result::policy,
                "RSA key of " + std::to_string(public_key->bits()) + " bits is too short (RFC 8301)");
  // RFC 6376 6.1.3: the body hash first, then the header signature.
  if (s.length && hashers.canonical_length(e.hasher) < *s.length)
    return with(r, Result::permerror, "l= is larger than the body", Failure::syntax);
  if (hashers.digest(e.hasher) != s.bh) return with(r, Result::fail, "body hash did not verify", Failure::body_hash);
  std::string data = header_hash_input(headers, s.headers, s.header_canon, e.field);
  if (!public_key->verify(s.algorithm, data, s.b)) return with(r, Result::fail, "signature did not verify", Failure::signature);
  return with(r, Result::pass, "");
}

asio::awaitable<std::vector<SignatureResult>> verify_message(dns::Resolver& resolver, VerifyOptions options,
                                                             std::vector<mail::HeaderField> headers,
                                                             std::string_view body) {
  Verifier verifier(resolver, options, std::move(headers));
  verifier.body(body);
  co_return co_await verifier.finish();
}

}  // namespace domainauth::dkim
