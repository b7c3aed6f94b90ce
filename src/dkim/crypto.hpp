// The DKIM cryptography on OpenSSL 3 EVP: base64, public keys from key records,
// private keys from PEM (PKCS#1 or PKCS#8, RSA or Ed25519), signing and
// verification of the header hash (RFC 6376 3.3, RFC 8301, RFC 8463 3), key
// generation. Reads untrusted input: p= values and b= signatures from mail and
// DNS; PEM files named in the configuration.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mail/body_hash.hpp"

struct evp_pkey_st;
struct evp_md_ctx_st;

namespace domainauth::dkim {

enum class KeyType { rsa, ed25519 };
enum class Algorithm { rsa_sha1, rsa_sha256, ed25519_sha256 };

[[nodiscard]] std::string_view to_string(KeyType type);
[[nodiscard]] std::string_view to_string(Algorithm algorithm);
[[nodiscard]] std::optional<Algorithm> parse_algorithm(std::string_view text);
[[nodiscard]] KeyType key_type(Algorithm algorithm);
[[nodiscard]] mail::DigestAlgorithm digest_of(Algorithm algorithm);

inline constexpr unsigned kMaxRsaBits = 8192;  // larger keys cost too much to verify

[[nodiscard]] std::string base64_encode(std::string_view raw);
// Decodes base64 (FWS ignored); nothing when it is not valid base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

using KeyHandle = std::shared_ptr<evp_pkey_st>;
// A signing or verification context set up once for a key
// (EVP_Digest{Sign,Verify}Init: algorithm fetch, padding, digest), copied for
// each use.
using Prepared = std::shared_ptr<const evp_md_ctx_st>;

class PublicKey {
 public:
  // From the decoded p= value: RSA as SubjectPublicKeyInfo (or a bare PKCS#1
  // RSAPublicKey), Ed25519 as the raw 32 octets (RFC 8463 4).
  [[nodiscard]] static std::optional<PublicKey> from_record(KeyType type, std::string_view der, std::string* error);

  [[nodiscard]] KeyType type() const { return type_; }
  [[nodiscard]] unsigned bits() const;
  // Checks signature over the canonicalized header data.
  [[nodiscard]] bool verify(Algorithm algorithm, std::string_view data, std::string_view signature) const;

 private:
  PublicKey(KeyType type, KeyHandle key, Prepared prepared = nullptr)
      : type_(type), key_(std::move(key)), prepared_(std::move(prepared)) {}
  KeyType type_;
  KeyHandle key_;
  Prepared prepared_;  // rsa-sha256 verification, for keys from the cache; may be empty
};

class PrivateKey {
 public:
  // PEM text: "RSA PRIVATE KEY" (PKCS#1), "PRIVATE KEY" (PKCS#8, RSA or Ed25519).
  [[nodiscard]] static std::optional<PrivateKey> from_pem(std::string_view pem, std::string* error);
  // Reads a PEM file; refuses one readable by group or others unless allowed.
  [[nodiscard]] static std::optional<PrivateKey> load_file(const std::string& path, bool allow_group_readable,
                                                         std::string* error);
  [[nodiscard]] static std::optional<PrivateKey> generate(KeyType type, unsigned rsa_bits, std::string* error);

  [[nodiscard]] KeyType type() const { return type_; }
  [[nodiscard]] unsigned bits() const;
  [[nodiscard]] Algorithm algorithm() const {
    return type_ == KeyType::rsa ? Algorithm::rsa_sha256 : Algorithm::ed25519_sha256;
  }
  // The signature over the canonicalized header data; empty on failure. The
  // key's own algorithm() uses the prepared context; safe from several threads.
  [[nodiscard]] std::string sign(Algorithm algorithm, std::string_view data) const;
  // PEM: PKCS#1 for RSA (as opendkim-genkey writes), PKCS#8 for Ed25519.
  [[nodiscard]] std::string to_pem() const;
  // The key record: "v=DKIM1; k=rsa; p=..." (RFC 6376 3.6.1, RFC 8463 4).
  [[nodiscard]] std::string key_record() const;

 private:
  PrivateKey(KeyType type, KeyHandle key);
  KeyType type_;
  KeyHandle key_;
  Prepared prepared_;  // for algorithm(); empty if OpenSSL refused to set it up
};

}  // namespace domainauth::dkim
