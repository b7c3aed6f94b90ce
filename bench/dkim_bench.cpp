// DKIM signing and verification per second (RFC 6376 5 and 6, RFC 8463) of
// whole messages: split into header fields and body, body canonicalized and
// hashed, header hash signed or checked. Verification fetches the key record
// from the in-memory resolver of the tests. Compared by scripts/bench.sh with
// `openssl speed rsa2048 ed25519` measured in the same run, and, interleaved in
// one process, with the operation `openssl speed rsa2048` times. Reads no
// untrusted input.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <stdexcept>

#include "dkim/signer.hpp"
#include "dkim/verifier.hpp"
#include "messages.hpp"
#include "support/memory_resolver.hpp"

namespace domainauth::bench {
namespace {

struct Algo {
  const char* name;
  dkim::KeyType type;
};
constexpr Algo kAlgos[] = {{"rsa2048", dkim::KeyType::rsa}, {"ed25519", dkim::KeyType::ed25519}};

struct Size {
  const char* name;
  std::size_t octets;
};
constexpr Size kSizes[] = {{"4KB", 4 * 1024}, {"1MB", 1024 * 1024}};

const dkim::PrivateKey& key(dkim::KeyType type) {
  static const dkim::PrivateKey rsa = [] {
    std::string error;
    return *dkim::PrivateKey::generate(dkim::KeyType::rsa, 2048, &error);
  }();
  static const dkim::PrivateKey ed = [] {
    std::string error;
    return *dkim::PrivateKey::generate(dkim::KeyType::ed25519, 0, &error);
  }();
  return type == dkim::KeyType::rsa ? rsa : ed;
}

// Signs `message` once: the DKIM-Signature field followed by the message.
std::string signed_message(const std::string& message, dkim::KeyType type) {
  mail::MessageSplitter splitter;
  std::string body(splitter.feed(message));
  splitter.finish();
  dkim::Signer signer({dkim::SignRequest("example.com", "sel", key(type))}, splitter.take_headers());
  signer.body(body);
  auto out = signer.finish();
  if (out.at(0).field.empty()) throw std::runtime_error("signing failed: " + out.at(0).error);
  return out[0].field + "\r\n" + message;
}

void sign(benchmark::State& state, dkim::KeyType type, std::size_t size) {
  const std::string message = bench::message(size);
  for (auto _ : state) {
    mail::MessageSplitter splitter;
    std::string_view body = splitter.feed(message);
    splitter.finish();
    dkim::Signer signer({dkim::SignRequest("example.com", "sel", key(type))}, splitter.take_headers());
    signer.body(body);
    auto out = signer.finish();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}

void verify(benchmark::State& state, dkim::KeyType type, std::size_t size) {
  const std::string message = signed_message(bench::message(size), type);
  asio::io_context io;
  testing::MemoryResolver dns(io.get_executor());
  dns.add_txt("sel._domainkey.example.com", key(type).key_record());
  auto run = [&] {
    mail::MessageSplitter splitter;
    std::string_view body = splitter.feed(message);
    splitter.finish();
    auto future = asio::co_spawn(io, dkim::verify_message(dns, {}, splitter.take_headers(), body), asio::use_future);
    io.restart();
    io.run();
    return future.get();
  };
  auto first = run();
  if (first.size() != 1 || first[0].result != dkim::Result::pass) {
    state.SkipWithError("the signed message does not verify");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(run());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}

// The signature operation alone (EVP_DigestSign over a typical header hash
// input), to split the cost of signing a message into crypto and the rest.
void sign_operation_only(benchmark::State& state, dkim::KeyType type) {
  const std::string data(700, 'h');
  const dkim::PrivateKey& k = key(type);
  for (auto _ : state) benchmark::DoNotOptimize(k.sign(k.algorithm(), data));
  state.SetItemsProcessed(state.iterations());
}

// What `openssl speed rsa2048` times (OpenSSL 3.0 apps/speed.c): EVP_PKEY_sign
// of 36 octets with PKCS#1 v1.5 padding on a context made once, here with the
// key the DKIM benchmarks sign with. Run interleaved with dkim_sign, it gives
// the signing ratio without the drift between separate runs.
void openssl_speed_operation(benchmark::State& state) {
  const std::string pem = key(dkim::KeyType::rsa).to_pem();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      pkey ? EVP_PKEY_CTX_new(pkey.get(), nullptr) : nullptr, &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0) {
    state.SkipWithError("no RSA signing context");
    return;
  }
  const unsigned char input[36] = {};
  unsigned char out[512];
  for (auto _ : state) {
    std::size_t size = sizeof out;
    if (EVP_PKEY_sign(ctx.get(), out, &size, input, sizeof input) <= 0) {
      state.SkipWithError("EVP_PKEY_sign failed");
      return;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

const bool registered = [] {
  benchmark::RegisterBenchmark("openssl_speed_operation/rsa2048", openssl_speed_operation);
  for (const auto& a : kAlgos) {
    benchmark::RegisterBenchmark(("dkim_sign_operation/" + std::string(a.name)).c_str(), sign_operation_only, a.type);
    for (const auto& s : kSizes) {
      std::string suffix = std::string(a.name) + "/" + s.name;
      benchmark::RegisterBenchmark(("dkim_sign/" + suffix).c_str(), sign, a.type, s.octets);
      benchmark::RegisterBenchmark(("dkim_verify/" + suffix).c_str(), verify, a.type, s.octets);
    }
  }
  return true;
}();

}  // namespace
}  // namespace domainauth::bench
