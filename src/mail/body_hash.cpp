// DKIM body hashing with OpenSSL EVP (see body_hash.hpp). RFC 6376 3.7, 3.5 l=.
#include "mail/body_hash.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace domainauth::mail {
namespace {

const EVP_MD* evp_md(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::sha1 ? EVP_sha1() : EVP_sha256();
}

}  // namespace

struct BodyHasher::Context {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

std::string digest(DigestAlgorithm algorithm, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &size, evp_md(algorithm), nullptr);
  return std::string(reinterpret_cast<const char*>(out), size);
}

BodyHasher::BodyHasher(Canonicalization c, DigestAlgorithm algorithm, std::optional<std::uint64_t> limit)
    : canon_(c), algorithm_(algorithm), limit_(limit), context_(std::make_unique<Context>()),
      canonicalizer_(c, *this) {
  EVP_DigestInit_ex(context_->ctx.get(), evp_md(algorithm), nullptr);
}

BodyHasher::~BodyHasher() = default;

void BodyHasher::write(std::string_view bytes) {
  std::string_view hashed = bytes;
  if (limit_) {
    std::uint64_t room = *limit_ > length_ ? *limit_ - length_ : 0;
    hashed = bytes.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(room, bytes.size())));
  }
  if (!hashed.empty()) EVP_DigestUpdate(context_->ctx.get(), hashed.data(), hashed.size());
  length_ += bytes.size();
}

std::string BodyHasher::finish() {
  canonicalizer_.finish();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(context_->ctx.get(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

}  // namespace domainauth::mail
