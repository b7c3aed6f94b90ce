// DKIM cryptography on OpenSSL 3 EVP (see crypto.hpp).
// RFC 6376 3.3 (rsa-sha1, rsa-sha256), RFC 8301 (key sizes), RFC 8463 3-4 (Ed25519).
#include "dkim/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "dkim/key_record.hpp"
#include "text/ascii.hpp"

namespace domainauth::dkim {
namespace {

using text::is_fws;

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

KeyHandle own(EVP_PKEY* key) { return KeyHandle(key, &EVP_PKEY_free); }

// Decoding an RSA key (d2i_PUBKEY through OpenSSL 3's decoder framework) costs
// ten times an RSA-2048 verification, and setting up a verification context
// (EVP_DigestVerifyInit) about as much as the verification; the same few keys
// sign most mail, so decoded keys are kept with a prepared rsa-sha256 context,
// by their DER octets (the whole cache is dropped when full).
constexpr std::size_t kRsaKeyCacheEntries = 1024;

struct CachedKey {
  KeyHandle key;
  Prepared verify_sha256;
};

class RsaKeyCache {
 public:
  std::optional<CachedKey> find(std::string_view der) {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(std::string(der));
    if (it == keys_.end()) return std::nullopt;
    return it->second;
  }
  void add(std::string_view der, CachedKey key) {
    std::lock_guard lock(mutex_);
    if (keys_.size() >= kRsaKeyCacheEntries) keys_.clear();
    keys_.emplace(std::string(der), std::move(key));
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, CachedKey> keys_;
};

RsaKeyCache& rsa_key_cache() {
  static RsaKeyCache cache;
  return cache;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Each octet's base64 value; kSkip: folding white space (FWS) between symbols;
// kPad: "="; kBad: anything else.
constexpr std::int8_t kSkip = -2, kPad = -3, kBad = -1;
constexpr std::array<std::int8_t, 256> kBase64Values = [] {
  std::array<std::int8_t, 256> table{};
  table.fill(kBad);
  for (int i = 0; i < 26; ++i) {
    table['A' + i] = static_cast<std::int8_t>(i);
    table['a' + i] = static_cast<std::int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) table['0' + i] = static_cast<std::int8_t>(52 + i);
  table['+'] = 62;
  table['/'] = 63;
  table['='] = kPad;
  for (int c = 0; c < 256; ++c) {
    if (is_fws(static_cast<char>(c))) table[c] = kSkip;
  }
  return table;
}();

// RFC 8463 3: Ed25519 signs the SHA-256 hash of the header data, not the data
// (kept in `storage`); RSA signs the data itself.
std::string_view signed_input(Algorithm algorithm, std::string_view data, std::string& storage) {
  if (algorithm != Algorithm::ed25519_sha256) return data;
  storage = mail::digest(mail::DigestAlgorithm::sha256, data);
  return storage;
}

const EVP_MD* md_for(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::rsa_sha1: return EVP_sha1();
    case Algorithm::rsa_sha256: return EVP_sha256();
    case Algorithm::ed25519_sha256: return nullptr;  // Ed25519 is used without a digest
  }
  return nullptr;
}

std::optional<KeyType> type_of(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return KeyType::rsa;
  if (EVP_PKEY_is_a(key, "ED25519")) return KeyType::ed25519;
  return std::nullopt;
}

int no_password(char*, int, int, void*) { return -1; }

Prepared keep(MdCtx ctx) {
  return Prepared(ctx.release(), [](const EVP_MD_CTX* c) { EVP_MD_CTX_free(const_cast<EVP_MD_CTX*>(c)); });
}

// EVP_DigestSignInit for the key's algorithm, done once per key: fetching the
// signature algorithm and digest and setting up padding cost about as much as
// hashing the header data.
Prepared prepare_sign(EVP_PKEY* key, Algorithm algorithm) {
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md_for(algorithm), nullptr, key) != 1) return nullptr;
  return keep(std::move(ctx));
}

Prepared prepare_verify(EVP_PKEY* key) {
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return nullptr;
  return keep(std::move(ctx));
}

}  // namespace

std::string_view to_string(KeyType type) { return type == KeyType::rsa ? "rsa" : "ed25519"; }

std::string_view to_string(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::rsa_sha1: return "rsa-sha1";
    case Algorithm::rsa_sha256: return "rsa-sha256";
    case Algorithm::ed25519_sha256: return "ed25519-sha256";
  }
  return "?";
}

std::optional<Algorithm> parse_algorithm(std::string_view text) {
  if (text == "rsa-sha256") return Algorithm::rsa_sha256;
  if (text == "ed25519-sha256") return Algorithm::ed25519_sha256;
  if (text == "rsa-sha1") return Algorithm::rsa_sha1;
  return std::nullopt;
}

KeyType key_type(Algorithm algorithm) {
  return algorithm == Algorithm::ed25519_sha256 ? KeyType::ed25519 : KeyType::rsa;
}

mail::DigestAlgorithm digest_of(Algorithm algorithm) {
  return algorithm == Algorithm::rsa_sha1 ? mail::DigestAlgorithm::sha1 : mail::DigestAlgorithm::sha256;
}

std::string base64_encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(raw), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  std::size_t written = 0;
  std::uint32_t acc = 0;
  int bits = 0;
  int padding = 0;
  std::size_t symbols = 0;
  for (const char c : text) {
    const int v = kBase64Values[static_cast<unsigned char>(c)];
    if (v >= 0 && padding == 0) {
      ++symbols;
      acc = (acc << 6) | static_cast<std::uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[written++] = static_cast<char>((acc >> bits) & 0xff);
      }
    } else if (v == kPad) {
      ++padding;
      ++symbols;
    } else if (v != kSkip) {
      return std::nullopt;  // bad character, or data after "="
    }
  }
  if (padding > 2 || (padding > 0 && symbols % 4 != 0) || symbols % 4 == 1) return std::nullopt;
  out.resize(written);
  return out;
}

std::optional<PublicKey> PublicKey::from_record(KeyType type, std::string_view der, std::string* error) {
  if (type == KeyType::ed25519) {
    if (der.size() != 32) {
      *error = "ed25519 key is " + std::to_string(der.size()) + " octets, not 32";
      return std::nullopt;
    }
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(der), der.size());
    if (key == nullptr) {
      *error = "unusable ed25519 key";
      return std::nullopt;
    }
    return PublicKey(type, own(key));
  }
  if (auto cached = rsa_key_cache().find(der)) return PublicKey(type, std::move(cached->key), cached->verify_sha256);
  const unsigned char* p = bytes(der);
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (key == nullptr) {  // some publish the bare PKCS#1 RSAPublicKey
    p = bytes(der);
    key = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size()));
  }
  if (key == nullptr || type_of(key) != KeyType::rsa) {
    if (key != nullptr) EVP_PKEY_free(key);
    *error = "p= is not an RSA public key";
    return std::nullopt;
  }
  PublicKey out(type, own(key));
  if (out.bits() > kMaxRsaBits) {
    *error = "RSA key of " + std::to_string(out.bits()) + " bits is larger than " + std::to_string(kMaxRsaBits);
    return std::nullopt;
  }
  out.prepared_ = prepare_verify(out.key_.get());
  rsa_key_cache().add(der, {out.key_, out.prepared_});
  return out;
}

unsigned PublicKey::bits() const { return static_cast<unsigned>(EVP_PKEY_get_bits(key_.get())); }

bool PublicKey::verify(Algorithm algorithm, std::string_view data, std::string_view signature) const {
  if (key_type(algorithm) != type_) return false;
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) return false;
  const bool prepared = prepared_ && algorithm == Algorithm::rsa_sha256;
  if (prepared ? EVP_MD_CTX_copy_ex(ctx.get(), prepared_.get()) != 1
               : EVP_DigestVerifyInit(ctx.get(), nullptr, md_for(algorithm), nullptr, key_.get()) != 1)
    return false;
  EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);  // used once
  std::string storage;
  std::string_view input = signed_input(algorithm, data, storage);
  return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(input), input.size()) == 1;
}

std::optional<PrivateKey> PrivateKey::from_pem(std::string_view pem, std::string* error) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_password, nullptr) : nullptr;
  if (key == nullptr) {
    *error = "not a PEM private key (PKCS#1 or PKCS#8, unencrypted)";
    return std::nullopt;
  }
  auto type = type_of(key);
  if (!type) {
    EVP_PKEY_free(key);
    *error = "private key is neither RSA nor Ed25519";
    return std::nullopt;
  }
  return PrivateKey(*type, own(key));
}

std::optional<PrivateKey> PrivateKey::load_file(const std::string& path, bool allow_group_readable,
                                                std::string* error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *error = path + ": cannot read the key file: " + std::strerror(errno);
    return std::nullopt;
  }
  if ((st.st_mode & 077) != 0 && !allow_group_readable) {
    std::ostringstream mode;
    mode << std::oct << (st.st_mode & 0777);
    *error = path + ": key file is accessible by group or others (mode 0" + mode.str() + "); chmod 600 it";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot read the key file: " + std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    *error = path + ": cannot read the key file";
    return std::nullopt;
  }
  auto key = from_pem(text.str(), error);
  if (!key) *error = path + ": " + *error;
  return key;
}

std::optional<PrivateKey> PrivateKey::generate(KeyType type, unsigned rsa_bits, std::string* error) {
  EVP_PKEY* key = type == KeyType::rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits))
                                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) {
    *error = "key generation failed";
    return std::nullopt;
  }
  return PrivateKey(type, own(key));
}

unsigned PrivateKey::bits() const { return static_cast<unsigned>(EVP_PKEY_get_bits(key_.get())); }

PrivateKey::PrivateKey(KeyType type, KeyHandle key) : type_(type), key_(std::move(key)) {
  prepared_ = prepare_sign(key_.get(), algorithm());
}

std::string PrivateKey::sign(Algorithm algorithm, std::string_view data) const {
  if (key_type(algorithm) != type_) return {};
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) return {};
  const bool prepared = prepared_ && algorithm == this->algorithm();
  if (prepared ? EVP_MD_CTX_copy_ex(ctx.get(), prepared_.get()) != 1
               : EVP_DigestSignInit(ctx.get(), nullptr, md_for(algorithm), nullptr, key_.get()) != 1)
    return {};
  // The context is used once: OpenSSL need not keep a copy to sign again.
  EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
  std::string storage;
  std::string_view input = signed_input(algorithm, data, storage);
  std::string out(static_cast<std::size_t>(EVP_PKEY_get_size(key_.get())), '\0');
  std::size_t size = out.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size, bytes(input), input.size()) != 1)
    return {};
  out.resize(size);
  return out;
}

std::string PrivateKey::to_pem() const {
  Bio bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (type_ == KeyType::rsa) {
    PEM_write_bio_PrivateKey_traditional(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string PrivateKey::key_record() const {
  std::string raw;
  if (type_ == KeyType::rsa) {
    unsigned char* der = nullptr;
    int size = i2d_PUBKEY(key_.get(), &der);
    if (size > 0) raw.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
  } else {
    std::array<unsigned char, 32> pub{};
    std::size_t size = pub.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), pub.data(), &size) == 1)
      raw.assign(reinterpret_cast<char*>(pub.data()), size);
  }
  KeyRecord record;
  record.type = type_;
  record.public_key = std::move(raw);
  return format_key_record(record);
}

}  // namespace domainauth::dkim
