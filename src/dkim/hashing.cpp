// Header hash input and shared body hashers (see hashing.hpp). RFC 6376 3.7, 5.4.2.
#include "dkim/hashing.hpp"

#include "mail/canonicalize.hpp"

namespace domainauth::dkim {

std::string header_hash_input(std::span<const mail::HeaderField> headers, const std::vector<std::string>& names,
                              mail::Canonicalization c, const mail::HeaderField& signature_without_b) {
  std::vector<const mail::HeaderField*> chosen;
  chosen.reserve(names.size());
  std::vector<bool> used(headers.size(), false);
  for (const auto& name : names) {
    for (std::size_t i = headers.size(); i-- > 0;) {
      if (!used[i] && headers[i].is(name)) {
        used[i] = true;
        chosen.push_back(&headers[i]);
        break;
      }
    }
  }
  return header_hash_input(chosen, c, signature_without_b);
}

std::string header_hash_input(std::span<const mail::HeaderField* const> fields, mail::Canonicalization c,
                              const mail::HeaderField& signature_without_b) {
  std::string out;
  std::size_t size = signature_without_b.raw.size() + 2;
  for (const auto* field : fields) size += field->raw.size() + 2;
  out.reserve(size);  // canonical forms are never longer: one allocation
  for (const auto* field : fields) mail::append_canonical_header(out, *field, c);
  mail::append_canonical_header(out, signature_without_b, c);
  out.resize(out.size() - 2);  // RFC 6376 3.7: without the trailing CRLF
  return out;
}

std::size_t BodyHasherSet::add(mail::Canonicalization c, mail::DigestAlgorithm algorithm,
                               std::optional<std::uint64_t> limit) {
  for (std::size_t i = 0; i < hashers_.size(); ++i) {
    const auto& h = *hashers_[i];
    if (h.canonicalization() == c && h.algorithm() == algorithm && h.limit() == limit) return i;
  }
  hashers_.push_back(std::make_unique<mail::BodyHasher>(c, algorithm, limit));
  return hashers_.size() - 1;
}

void BodyHasherSet::feed(std::string_view chunk) {
  for (auto& h : hashers_) h->feed(chunk);
}

void BodyHasherSet::finish() {
  digests_.clear();
  for (auto& h : hashers_) digests_.push_back(h->finish());
}

}  // namespace domainauth::dkim
