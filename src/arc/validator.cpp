// ARC chain validation (see validator.hpp). RFC 8617 5.1.1 (AS hash input),
// 5.1.2 (AMS), 5.2 (validator actions), 5.2.1; the DKIM parts (canonicalization,
// hashes, key records, signature checks) are dkim/'s (RFC 6376 5, 6.1).
#include "arc/validator.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "dkim/hashing.hpp"
#include "dkim/key_record.hpp"
#include "dkim/signature.hpp"
#include "dns/await.hpp"

namespace domainauth::arc {
namespace {

ChainResult failed(ChainResult r, std::string reason) {
  r.status = ChainStatus::fail;
  r.oldest_pass = 0;
  r.reason = std::move(reason);
  return r;
}

std::string instance_label(std::string_view field, unsigned instance) {
  return std::string(field) + " i=" + std::to_string(instance) + ": ";
}

}  // namespace

struct Validator::Impl {
  dns::Resolver* resolver = nullptr;
  ValidateOptions options;
  std::vector<mail::HeaderField> headers;
  Chain chain;
  std::vector<dkim::ParsedSignature> ams;  // per set
  std::vector<std::size_t> hasher;         // per set (unused when its AMS did not parse)
  dkim::BodyHasherSet hashers;
  std::map<std::string, dns::Answer> answers;  // key name -> answer

  asio::awaitable<dkim::KeyLookup> key(std::string selector, std::string domain);
  [[nodiscard]] std::string check(const dkim::KeyLookup& key, dkim::Algorithm algorithm, std::string_view data,
                                  std::string_view b) const;
  asio::awaitable<std::string> check_ams(std::size_t k);
  asio::awaitable<std::string> check_seal(const std::vector<Seal>& seals, std::size_t k);
  asio::awaitable<ChainResult> validate();
};

Validator::Validator(dns::Resolver& resolver, ValidateOptions options, std::vector<mail::HeaderField> headers)
    : impl_(std::make_unique<Impl>()) {
  impl_->resolver = &resolver;
  impl_->options = options;
  impl_->headers = std::move(headers);
  impl_->chain = collect_sets(impl_->headers);
  // The keys are asked for now, as the milter asks for the DMARC record: the
  // answers wait in the resolver's cache when finish() looks them up.
  std::set<std::string> keys;
  for (const auto& set : impl_->chain.sets) {
    auto parsed = dkim::parse_signature(set.ams->value(), dkim::SignatureKind::arc_message_signature);
    std::size_t index = 0;
    if (parsed.ok()) {
      const auto& s = parsed.signature;
      index = impl_->hashers.add(s.body_canon, dkim::digest_of(s.algorithm), s.length);
      keys.insert(s.selector + "._domainkey." + s.domain);
    }
    if (auto seal = parse_seal(set.seal->value()); seal.ok())
      keys.insert(seal.seal.selector + "._domainkey." + seal.seal.domain);
    impl_->ams.push_back(std::move(parsed));
    impl_->hasher.push_back(index);
  }
  for (const auto& name : keys) resolver.query(name, dns::RecordType::txt, [](dns::Answer) {});
}

Validator::~Validator() = default;

void Validator::body(std::string_view chunk) { impl_->hashers.feed(chunk); }

asio::awaitable<ChainResult> Validator::finish() {
  impl_->hashers.finish();
  co_return co_await impl_->validate();
}

asio::awaitable<dkim::KeyLookup> Validator::Impl::key(std::string selector, std::string domain) {
  std::string name = selector + "._domainkey." + domain;
  auto it = answers.find(name);
  if (it == answers.end()) {
    dns::Answer answer = co_await dns::lookup(*resolver, name, dns::RecordType::txt);
    it = answers.emplace(name, std::move(answer)).first;
  }
  co_return dkim::key_from_answer(it->second);
}

std::string Validator::Impl::check(const dkim::KeyLookup& key, dkim::Algorithm algorithm, std::string_view data,
                                   std::string_view b) const {
  if (!key.record) return key.error;
  if (auto why = dkim::unusable_for(*key.record, algorithm); !why.empty()) return why;
  if (algorithm == dkim::Algorithm::rsa_sha1) return "rsa-sha1 is not accepted (RFC 8301)";
  std::string error;
  auto public_key = dkim::PublicKey::from_record(key.record->type, key.record->public_key, &error);
  if (!public_key) return error;
  if (public_key->type() == dkim::KeyType::rsa && public_key->bits() < options.min_rsa_bits)
    return "RSA key of " + std::to_string(public_key->bits()) + " bits is too short (RFC 8301)";
  if (!public_key->verify(algorithm, data, b)) return "signature did not verify";
  return {};
}

// RFC 8617 5.1.2 / 4.1.2: an AMS is checked as a DKIM signature; its h= must not
// name ARC-Seal.
asio::awaitable<std::string> Validator::Impl::check_ams(std::size_t k) {
  const auto& parsed = ams.at(k);
  if (!parsed.ok()) co_return parsed.error;
  const auto& s = parsed.signature;
  if (std::any_of(s.headers.begin(), s.headers.end(), [](const auto& h) { return mail::iequals(h, kSealField); }))
    co_return "h= includes ARC-Seal";
  if (s.length && hashers.canonical_length(hasher.at(k)) < *s.length) co_return "l= is larger than the body";
  if (hashers.digest(hasher.at(k)) != s.bh) co_return "body hash did not verify";
  dkim::KeyLookup lookup = co_await key(s.selector, s.domain);
  std::string data = dkim::header_hash_input(headers, s.headers, s.header_canon,
                                             dkim::without_b_value(*chain.sets.at(k).ams));
  co_return check(lookup, s.algorithm, data, s.b);
}

// RFC 8617 5.1.1: the AS signs every ARC field of sets 1..k in the order AAR,
// AMS, AS, relaxed, its own field without the b= value last.
asio::awaitable<std::string> Validator::Impl::check_seal(const std::vector<Seal>& seals, std::size_t k) {
  std::vector<const mail::HeaderField*> fields;
  for (std::size_t j = 0; j <= k; ++j) {
    const ArcSet& set = chain.sets.at(j);
    fields.push_back(set.aar);
    fields.push_back(set.ams);
    if (j < k) fields.push_back(set.seal);
  }
  std::string data = dkim::header_hash_input(fields, mail::Canonicalization::relaxed,
                                             dkim::without_b_value(*chain.sets.at(k).seal));
  const Seal& seal = seals.at(k);
  dkim::KeyLookup lookup = co_await key(seal.selector, seal.domain);
  co_return check(lookup, seal.algorithm, data, seal.b);
}

asio::awaitable<ChainResult> Validator::Impl::validate() {
  ChainResult r;
  if (chain.empty()) co_return r;  // 5.2 step 1: none
  r.instances = chain.highest;
  if (chain.highest_seal) {  // step 2
    auto newest = parse_seal(chain.highest_seal->value());
    r.seal_domain = newest.seal.domain;
    if (newest.ok() && newest.seal.cv == ChainStatus::fail)
      co_return failed(r, instance_label(kSealField, chain.highest) + "cv=fail");
  }
  if (!chain.error.empty()) co_return failed(r, chain.error);  // step 3 A, B
  std::vector<Seal> seals;
  for (const auto& set : chain.sets) {
    auto parsed = parse_seal(set.seal->value());
    if (!parsed.ok()) co_return failed(r, instance_label(kSealField, set.instance) + parsed.error);
    ChainStatus expected = set.instance == 1 ? ChainStatus::none : ChainStatus::pass;  // step 3 C
    if (parsed.seal.cv != expected)
      co_return failed(r, instance_label(kSealField, set.instance) + "cv=" + std::string(to_string(parsed.seal.cv)) +
                              ", expected " + std::string(to_string(expected)));
    seals.push_back(std::move(parsed.seal));
  }
  std::size_t newest = chain.sets.size() - 1;
  if (auto error = co_await check_ams(newest); !error.empty())  // step 4
    co_return failed(r, instance_label(kMessageSignatureField, chain.highest) + error);
  for (std::size_t k = newest; k-- > 0;) {  // step 5
    std::string error = co_await check_ams(k);
    if (!error.empty()) {
      r.oldest_pass = static_cast<unsigned>(k + 2);
      break;
    }
  }
  for (std::size_t k = chain.sets.size(); k-- > 0;) {  // step 6
    std::string error = co_await check_seal(seals, k);
    if (!error.empty()) co_return failed(r, instance_label(kSealField, static_cast<unsigned>(k + 1)) + error);
  }
  r.status = ChainStatus::pass;  // step 7
  co_return r;
}

asio::awaitable<ChainResult> validate_message(dns::Resolver& resolver, ValidateOptions options,
                                              std::vector<mail::HeaderField> headers, std::string_view body) {
  Validator validator(resolver, options, std::move(headers));
  validator.body(body);
  co_return co_await validator.finish();
}

}  // namespace domainauth::arc
