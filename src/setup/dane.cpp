// TLSA judgement and matching (see dane.hpp). RFC 6698 2.1, RFC 7671, RFC 7672 3.1.
#include "setup/dane.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

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

using Certificate = std::unique_ptr<X509, decltype(&X509_free)>;

Certificate decode(const std::vector<std::uint8_t>& der) {
  const unsigned char* in = der.data();
  return Certificate(d2i_X509(nullptr, &in, static_cast<long>(der.size())), &X509_free);
}

// The selected part of a DER certificate (RFC 6698 2.1.2); empty when unreadable.
std::vector<std::uint8_t> selected(const std::vector<std::uint8_t>& der, std::uint8_t selector) {
  if (selector == kFullCert) return der;
  if (selector != kSpki) return {};
  const Certificate cert = decode(der);
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

// The leaf (certs[0]) verified up to certs[anchor] taken as the trust anchor
// (X509_V_FLAG_PARTIAL_CHAIN: the anchor need not be self-signed, RFC 7671
// 5.2.2), with the certificates between as intermediates, as a TLS server
// certificate for host. libcrypto's own verifier: signatures, dates, basic
// constraints, path length, key usage; the host name without partial wildcards.
TlsaMatch verify_to_anchor(const std::vector<Certificate>& certs, std::size_t anchor, const std::string& host) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  const auto free_stack = [](STACK_OF(X509) * s) { sk_X509_free(s); };  // the stack only, not its certificates
  std::unique_ptr<STACK_OF(X509), decltype(free_stack)> between(sk_X509_new_null(), free_stack);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  if (!store || !between || !context || X509_STORE_add_cert(store.get(), certs[anchor].get()) != 1) {
    return {false, "out of memory verifying the chain"};
  }
  for (std::size_t i = 1; i < anchor; ++i) sk_X509_push(between.get(), certs[i].get());
  if (X509_STORE_CTX_init(context.get(), store.get(), certs.front().get(), between.get()) != 1 ||
      X509_STORE_CTX_set_default(context.get(), "ssl_server") != 1) {
    return {false, "out of memory verifying the chain"};
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const std::size_t length = host.ends_with('.') ? host.size() - 1 : host.size();  // the root's dot
  X509_VERIFY_PARAM_set1_host(param, host.c_str(), length);
  if (X509_verify_cert(context.get()) == 1) return {true, {}};
  const int error = X509_STORE_CTX_get_error(context.get());
  return {false, "the chain from the server's certificate up to the one it matches does not verify for " + host +
                     ": " + X509_verify_cert_error_string(error)};
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

TlsaMatch match_tlsa(const dns::TlsaRecord& record, const std::vector<std::vector<std::uint8_t>>& chain,
                     const std::string& host) {
  if (chain.empty()) return {false, "the server presented no certificate"};
  if (record.usage == kDaneEe) {
    if (matches_one(record, chain.front())) return {true, {}};
    return {false, "it does not match the server's certificate"};
  }
  if (record.usage == kPkixTa || record.usage == kPkixEe) {
    return {false, "PKIX usages (0, 1) are unusable for SMTP (RFC 7672 3.1.3)"};
  }
  if (record.usage != kDaneTa) return {false, "unknown certificate usage " + std::to_string(record.usage)};
  std::vector<Certificate> certs;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    certs.push_back(decode(chain[i]));
    if (!certs.back()) return {false, "certificate " + std::to_string(i + 1) + " of the chain cannot be read"};
  }
  std::size_t anchor = 1;
  while (anchor < chain.size() && !matches_one(record, chain[anchor])) ++anchor;
  if (anchor == chain.size()) {
    return {false, matches_one(record, chain.front())
                       ? "it matches the server's own certificate, not a CA above it (publish that as usage 3, DANE-EE)"
                       : "it matches no CA certificate of the chain the server presents"};
  }
  if (X509_check_ca(certs[anchor].get()) == 0) {
    return {false, "the certificate it matches (number " + std::to_string(anchor + 1) +
                       " of the chain) is not a CA (basic constraints)"};
  }
  return verify_to_anchor(certs, anchor, host);
}

}  // namespace domainauth::setup
