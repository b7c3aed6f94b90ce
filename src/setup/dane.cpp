// TLSA judgement and matching (see dane.hpp). RFC 6698 2.1, RFC 7671, RFC 7672 3.1.
#include "setup/dane.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>

namespace domainauth::setup {
namespace {

constexpr std::uint8_t kPkixTa = 0, kPkixEe = 1, kDaneTa = 2, kDaneEe = 3;
constexpr std::uint8_t kFullCert = 0, kSpki = 1;
constexpr std::uint8_t kExact = 0, kSha256 = 1, kSha512 = 2;

std::vector<std::uint8_t> digest(const EVP_MD* md, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr) != 1) return {};
  out.resize(length);
  return out;
}

// The selected part of a DER certificate (RFC 6698 2.1.2); empty when unreadable.
std::vector<std::uint8_t> selected(const std::vector<std::uint8_t>& der, std::uint8_t selector) {
  if (selector == kFullCert) return der;
  const unsigned char* in = der.data();
  std::unique_ptr<X509, decltype(&X509_free)> cert(d2i_X509(nullptr, &in, static_cast<long>(der.size())), &X509_free);
  if (!cert) return {};
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), nullptr);
  if (length <= 0) return {};
  std::vector<std::uint8_t> spki(static_cast<std::size_t>(length));
  unsigned char* out = spki.data();
  if (i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &out) != length) return {};
  return spki;
}

bool matches_one(const dns::TlsaRecord& record, const std::vector<std::uint8_t>& der) {
  const std::vector<std::uint8_t> part = selected(der, record.selector);
  if (part.empty()) return false;
  switch (record.matching) {
    case kExact: return part == record.data;
    case kSha256: return digest(EVP_sha256(), part) == record.data;
    case kSha512: return digest(EVP_sha512(), part) == record.data;
    default: return false;
  }
}

}  // namespace

TlsaJudgement judge_tlsa(const dns::TlsaRecord& r) {
  if (r.usage == kPkixTa || r.usage == kPkixEe) {
    return {TlsaUse::ignored, "usage " + std::to_string(r.usage) +
                                  " (PKIX) is unusable for SMTP: senders ignore it (RFC 7672 3.1.3)"};
  }
  if (r.usage != kDaneTa && r.usage != kDaneEe) {
    return {TlsaUse::broken, "unknown certificate usage " + std::to_string(r.usage)};
  }
  if (r.selector != kFullCert && r.selector != kSpki) {
    return {TlsaUse::broken, "unknown selector " + std::to_string(r.selector)};
  }
  const std::size_t want = r.matching == kSha256 ? 32 : r.matching == kSha512 ? 64 : 0;
  if (r.matching != kExact && want == 0) {
    return {TlsaUse::broken, "unknown matching type " + std::to_string(r.matching)};
  }
  if (want != 0 && r.data.size() != want) {
    return {TlsaUse::broken, "association data of " + std::to_string(r.data.size()) + " octets for a " +
                                 (want == 32 ? "SHA-256" : "SHA-512") + " digest of " + std::to_string(want)};
  }
  if (r.selector == kSpki && r.matching == kSha256) return {TlsaUse::recommended, {}};
  if (r.matching == kExact) {
    return {TlsaUse::usable, "matching type 0 publishes the whole " +
                                 std::string(r.selector == kSpki ? "key" : "certificate") +
                                 ": large answers; a SHA-256 digest (x 1 1) is the usual choice (RFC 7671 10.1.2)"};
  }
  return {TlsaUse::usable, r.selector == kFullCert
                               ? "selector 0 (whole certificate) breaks at every renewal; selector 1 (the key) survives "
                                 "renewals that keep the key (RFC 7671 10.1.2)"
                               : "SHA-512 is fine; SHA-256 (x 1 1) is what RFC 7671 10.1.2 recommends"};
}

std::string describe_tlsa(const dns::TlsaRecord& r) {
  std::string out = std::to_string(r.usage) + " " + std::to_string(r.selector) + " " + std::to_string(r.matching) + " ";
  for (std::size_t i = 0; i < r.data.size() && i < 16; ++i) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", r.data[i]);
    out += hex;
  }
  if (r.data.size() > 16) out += "...";
  return out;
}

bool tlsa_matches(const dns::TlsaRecord& record, const std::vector<std::vector<std::uint8_t>>& chain) {
  if (chain.empty()) return false;
  if (record.usage == kDaneEe) return matches_one(record, chain.front());
  if (record.usage != kDaneTa) return false;
  for (const auto& der : chain) {
    if (matches_one(record, der)) return true;
  }
  return false;
}

}  // namespace domainauth::setup
