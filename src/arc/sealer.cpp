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
  const std::string a = "a=" + std::string(dkim::to_string(algorithm)) + ";";
  const std::string d = "d=" + text::to_lower(request_.domain) + ";";
  const std::string i = "i=" + std::to_string(instance) + ";";
  const std::string s = "s=" + request_.selector + ";";
  std::int64_t now = request_.now != 0 ? request_.now : static_cast<std::int64_t>(std::time(nullptr));
  const std::string t = "t=" + std::to_string(now);

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
  std::string h = "h=";
  for (std::size_t k = 0; k < names.size(); ++k) h += (k ? ":" : "") + names[k];
  auto write_ams = [&](std::string_view b) {
    dkim::FoldedTagWriter w(kMessageSignatureField);
    w.tag(i);  // first, as RFC 8617's examples: dkimpy 1.1.4 finds the set by the bytes " i=N;"
    w.tag(a);
    w.base64("b", b, ";");
    w.tag("bh=" + dkim::base64_encode(hashers_.digest(hasher_)) + ";");
    w.tag("c=relaxed/relaxed;");
    w.tag(d);
    w.tag(h + ";");
    w.tag(s);
    w.tag(t);
    return w.take();
  };
  auto unsigned_ams = mail::parse_header_field(write_ams(""));
  std::string ams_b = request_.key.sign(
      algorithm, dkim::header_hash_input(headers_, names, mail::Canonicalization::relaxed, *unsigned_ams));
  if (ams_b.empty()) return {{}, {}, {}, "signing the ARC-Message-Signature failed"};
  out.ams = write_ams(dkim::base64_encode(ams_b));
  auto ams = mail::parse_header_field(out.ams);

  // 4.1.3 AS over the sets 1..N and the new one (5.1.1), only the new one when cv=fail (5.1.2).
  auto write_seal = [&](std::string_view b) {
    dkim::FoldedTagWriter w(kSealField);
    w.tag(i);
    w.tag(a);
    w.base64("b", b, ";");
    w.tag("cv=" + std::string(to_string(status)) + ";");
    w.tag(d);
    w.tag(s);
    w.tag(t);
    return w.take();
  };
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
  auto unsigned_seal = mail::parse_header_field(write_seal(""));
  std::string seal_b =
      request_.key.sign(algorithm, dkim::header_hash_input(fields, mail::Canonicalization::relaxed, *unsigned_seal));
  if (seal_b.empty()) return {{}, {}, {}, "signing the ARC-Seal failed"};
  out.seal = write_seal(dkim::base64_encode(seal_b));
  return out;
}

}  // namespace domainauth::arc
