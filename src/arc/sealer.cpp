// ARC sealing (see sealer.hpp). RFC 8617 4.1.1-4.1.3, 5.1, 5.1.1, 5.1.2; the
// hashing and signing are dkim/'s (RFC 6376 3.7, 5).
#include "arc/sealer.hpp"

#include <ctime>

#include "authres/authres.hpp"
#include "dkim/signature.hpp"
#include "dkim/signer.hpp"
#include "text/ascii.hpp"

namespace domainauth::arc {
std::vector<std::string> SealRequest::default_sealed_headers() {
  std::vector<std::string> names = dkim::default_signed_headers();
  names.emplace_back("DKIM-Signature");  // RFC 8617 4.1.2: SHOULD sign them
  return names;
}

Sealer::Sealer(SealRequest request, std::vector<mail::HeaderField> headers)
    : request_(std::move(request)), headers_(std::move(headers)) {
  hasher_ = hashers_.add(mail::Canonicalization::relaxed, dkim::digest_of(request_.key.algorithm()), {});
}

// RFC 8617 4.1.1: "i=N; " and the results of every Authentication-Results field
// of our authserv-id, top-down, joined into one resinfo list; the authserv-id
// quoted as Authentication-Results writes it.
std::string Sealer::aar_value(unsigned instance) const {
  std::string out = " i=" + std::to_string(instance) + "; " + authres::quote_value(request_.authserv_id);
  for (const auto& field : headers_) {
    if (!field.is("Authentication-Results")) continue;
    auto id = authres::authserv_id(field.value());
    if (!id || !authres::same_authserv_id(*id, request_.authserv_id)) continue;
    std::string_view value = field.value();
    auto semi = value.find(';');
    if (semi == std::string_view::npos) continue;  // "id; none"-less field: no results
    std::string_view results = text::trim_fws(value.substr(semi + 1));
    while (!results.empty() && results.back() == ';') results = text::trim_fws(results.substr(0, results.size() - 1));
    if (results.empty() || results == "none") continue;
    out += ";\r\n\t";
    out += results;
  }
  return out;
}

SealOutput Sealer::finish(ChainStatus status, const std::vector<mail::HeaderField>& added) {
  hashers_.finish();
  headers_.insert(headers_.begin(), added.begin(), added.end());
  SealOutput out;
  Chain chain = collect_sets(headers_);
  if (chain.highest_seal) {  // RFC 8617 5.1 step 2
    auto newest = parse_seal(chain.highest_seal->value());
    if (newest.ok() && newest.seal.cv == ChainStatus::fail) {
      out.reason = "the newest ARC-Seal already says cv=fail";
      return out;
    }
  }
  unsigned instance = chain.highest + 1;  // step 3
  if (instance > kMaxInstances) {
    out.reason = "the chain already has " + std::to_string(kMaxInstances) + " ARC sets";
    return out;
  }
  if (status != ChainStatus::fail && !chain.error.empty()) status = ChainStatus::fail;
  const dkim::Algorithm algorithm = request_.key.algorithm();
  std::int64_t now = request_.now != 0 ? request_.now : static_cast<std::int64_t>(std::time(nullptr));

  // 4.1.1 AAR.
  out.aar = std::string(kAuthResultsField) + ":" + aar_value(instance);
  auto aar = mail::parse_header_field(out.aar);

  // 4.1.2 AMS: a DKIM signature (relaxed/relaxed) over request_.headers, never ARC fields.
  std::vector<std::string> names;
  for (const auto& name : request_.headers) {
    bool arc_field = mail::iequals(name, kSealField) || mail::iequals(name, kMessageSignatureField) ||
                     mail::iequals(name, kAuthResultsField);
    if (arc_field) continue;
    for (const auto& field : headers_) {
      if (field.is(name)) names.push_back(text::to_lower(name));
    }
  }
  dkim::Signature ams_tags;
  ams_tags.algorithm = algorithm;
  ams_tags.bh = hashers_.digest(hasher_);
  ams_tags.header_canon = ams_tags.body_canon = mail::Canonicalization::relaxed;
  ams_tags.domain = text::to_lower(request_.domain);
  ams_tags.headers = std::move(names);
  ams_tags.selector = request_.selector;
  ams_tags.timestamp = static_cast<std::uint64_t>(now);
  auto unsigned_ams = mail::parse_header_field(format_message_signature(ams_tags, instance));
  std::string ams_b = request_.key.sign(
      algorithm, dkim::header_hash_input(headers_, ams_tags.headers, mail::Canonicalization::relaxed, *unsigned_ams));
  if (ams_b.empty()) return {{}, {}, {}, "signing the ARC-Message-Signature failed"};
  ams_tags.b = std::move(ams_b);
  out.ams = format_message_signature(ams_tags, instance);
  auto ams = mail::parse_header_field(out.ams);

  // 4.1.3 AS over the sets 1..N and the new one (5.1.1), only the new one when cv=fail (5.1.2).
  Seal seal;
  seal.algorithm = algorithm;
  seal.cv = status;
  seal.domain = ams_tags.domain;
  seal.selector = request_.selector;
  seal.instance = instance;
  seal.timestamp = ams_tags.timestamp;
  std::vector<const mail::HeaderField*> fields;
  if (status != ChainStatus::fail) {
    for (const auto& set : chain.sets) {
      fields.push_back(set.aar);
      fields.push_back(set.ams);
      fields.push_back(set.seal);
    }
  }
  fields.push_back(&*aar);
  fields.push_back(&*ams);
  auto unsigned_seal = mail::parse_header_field(format_seal(seal));
  std::string seal_b =
      request_.key.sign(algorithm, dkim::header_hash_input(fields, mail::Canonicalization::relaxed, *unsigned_seal));
  if (seal_b.empty()) return {{}, {}, {}, "signing the ARC-Seal failed"};
  seal.b = std::move(seal_b);
  out.seal = format_seal(seal);
  return out;
}

}  // namespace domainauth::arc
