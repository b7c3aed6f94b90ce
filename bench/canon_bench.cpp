// Body canonicalization + SHA-256 throughput (RFC 6376 3.4.3, 3.4.4, 3.7) over a
// 1 MB body (text with the white space mail has, or base64 lines) fed in milter-sized chunks, next to raw SHA-256 of the same bytes in
// 16 KB blocks (the size the canonicalizer hands to the hash, and the
// `openssl speed sha256` column scripts/bench.sh compares with). Reads no
// untrusted input.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "mail/body_hash.hpp"
#include "messages.hpp"

namespace domainauth::bench {
namespace {

constexpr std::size_t kBodySize = 1024 * 1024;
constexpr std::size_t kMilterChunk = 65535;  // the largest SMFIC_BODY chunk Postfix sends
constexpr std::size_t kHashBlock = 16 * 1024;

void feed_in_chunks(std::string_view body, std::size_t chunk, auto&& sink) {
  for (std::size_t at = 0; at < body.size(); at += chunk) sink(body.substr(at, std::min(chunk, body.size() - at)));
}

void canonicalize_and_hash(benchmark::State& state, mail::Canonicalization c, bool base64) {
  const std::string body = base64 ? base64_body(kBodySize) : message_body(kBodySize);
  for (auto _ : state) {
    mail::BodyHasher hasher(c, mail::DigestAlgorithm::sha256, std::nullopt);
    feed_in_chunks(body, kMilterChunk, [&](std::string_view part) { hasher.feed(part); });
    benchmark::DoNotOptimize(hasher.finish());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

void raw_sha256(benchmark::State& state) {
  const std::string body = message_body(kBodySize);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char out[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    feed_in_chunks(body, kHashBlock, [&](std::string_view part) { EVP_DigestUpdate(ctx.get(), part.data(), part.size()); });
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx.get(), out, &size);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

const bool registered = [] {
  using C = mail::Canonicalization;
  benchmark::RegisterBenchmark("body_hash/simple/1MB", canonicalize_and_hash, C::simple, false);
  benchmark::RegisterBenchmark("body_hash/relaxed/1MB", canonicalize_and_hash, C::relaxed, false);
  benchmark::RegisterBenchmark("body_hash/simple_base64/1MB", canonicalize_and_hash, C::simple, true);
  benchmark::RegisterBenchmark("body_hash/relaxed_base64/1MB", canonicalize_and_hash, C::relaxed, true);
  benchmark::RegisterBenchmark("body_hash/raw_sha256/1MB", raw_sha256);
  return true;
}();

}  // namespace
}  // namespace domainauth::bench
