// libFuzzer target: body canonicalization. The first two bytes pick a chunk
// size (1-512, so the 64-octet vector blocks run inside chunks) and the third an
// output buffer size (small ones cross buffer ends often); with those, every
// build of the vector scan the CPU has must give the output of the whole body
// fed at once (default buffer, best build), in both modes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/body_scan.hpp"
#include "mail/canonicalize.hpp"

using namespace domainauth::mail;

namespace {
struct Sink : ByteSink {
  std::string out;
  void write(std::string_view b) override { out.append(b); }
};

std::string run(std::string_view body, Canonicalization c, std::size_t chunk, std::size_t buffer) {
  Sink sink;
  BodyCanonicalizer canon(c, sink, buffer);
  for (std::size_t i = 0; i < body.size(); i += chunk) canon.feed(body.substr(i, chunk));
  canon.finish();
  return sink.out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::size_t chunk = 1 + (data[0] | static_cast<std::size_t>(data[1]) << 8) % 512;
  const std::size_t buffer = data[2] == 0 ? BodyCanonicalizer::kBuffer : 2 + 2 * std::size_t{data[2]};
  std::string_view body(reinterpret_cast<const char*>(data) + 3, size - 3);
  for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
    const std::string whole = run(body, c, body.size() + 1, BodyCanonicalizer::kBuffer);
    for (auto build : {scan::Build::sse2, scan::Build::avx2, scan::Build::avx512}) {
      if (!scan::have(build)) continue;
      scan::limit_build(build);
      const std::string other = run(body, c, chunk, buffer);
      scan::limit_build(scan::Build::avx512);
      if (other != whole) std::abort();
    }
  }
  return 0;
}
