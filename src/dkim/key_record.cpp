// DKIM key record parsing (see key_record.hpp). RFC 6376 3.6.1, RFC 8463 4.
#include "dkim/key_record.hpp"

#include <algorithm>

#include "dkim/tag_list.hpp"

namespace domainauth::dkim {

ParsedKeyRecord parse_key_record(std::string_view text) {
  ParsedKeyRecord out;
  TagList tags = parse_tag_list(text);
  if (!tags.ok()) {
    out.error = "key record syntax: " + tags.error;
    return out;
  }
  KeyRecord& r = out.record;
  if (auto v = tags.find("v")) {
    if (*v != "DKIM1" || tags.tags.front().name != "v") {
      out.error = "key record v= is not DKIM1 as the first tag";
      return out;
    }
  }
  if (auto k = tags.find("k")) {
    r.key_type_text = *k;
    if (*k == "rsa") {
      r.type = KeyType::rsa;
    } else if (*k == "ed25519") {
      r.type = KeyType::ed25519;
    } else {
      out.error = "unsupported key type k=" + std::string(*k);
      return out;
    }
  }
  if (auto h = tags.find("h")) r.hashes = split_list(*h);
  if (auto s = tags.find("s")) {
    auto services = split_list(*s);
    if (std::none_of(services.begin(), services.end(), [](const auto& x) { return x == "*" || x == "email"; })) {
      out.error = "key record s= does not allow email";
      return out;
    }
  }
  if (auto t = tags.find("t")) {
    for (const auto& flag : split_list(*t)) {
      r.testing = r.testing || flag == "y";
      r.strict = r.strict || flag == "s";
    }
  }
  auto p = tags.find("p");
  if (!p) {
    out.error = "key record has no p=";
    return out;
  }
  auto key = base64_decode(*p);
  if (!key) {
    out.error = "key record p= is not valid base64";
    return out;
  }
  r.public_key = std::move(*key);
  r.revoked = r.public_key.empty();  // RFC 6376 3.6.1: an empty p= revokes the key
  return out;
}

std::string format_key_record(const KeyRecord& record) {
  std::string out = "v=DKIM1; k=" + std::string(to_string(record.type));
  if (!record.hashes.empty()) {
    out += "; h=";
    for (std::size_t i = 0; i < record.hashes.size(); ++i) out += (i ? ":" : "") + record.hashes[i];
  }
  if (record.testing || record.strict) {
    out += "; t=";
    out += record.testing && record.strict ? "y:s" : record.testing ? "y" : "s";
  }
  return out + "; p=" + base64_encode(record.public_key);
}

bool allows_hash(const KeyRecord& record, Algorithm algorithm) {
  if (record.hashes.empty()) return true;
  std::string_view want = algorithm == Algorithm::rsa_sha1 ? "sha1" : "sha256";
  return std::find(record.hashes.begin(), record.hashes.end(), want) != record.hashes.end();
}

std::string unusable_for(const KeyRecord& record, Algorithm algorithm) {
  if (record.revoked) return "key revoked";
  if (record.type != key_type(algorithm)) return "key type does not match a=";
  if (!allows_hash(record, algorithm)) return "key h= does not allow the hash of a=";
  return {};
}

KeyLookup key_from_answer(const dns::Answer& answer) {
  return record_from_answer<KeyRecord>(answer, {"key record", "key lookup", "no key for signature"},
                                       [](std::string_view text) { return parse_key_record(text); });
}

}  // namespace domainauth::dkim
