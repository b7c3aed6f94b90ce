// libFuzzer target: body canonicalization. The first byte picks a chunk size;
// the chunked output must equal the output of the whole body (both modes), and
// every build of the vector scan the CPU has must give the same output.
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

std::string run(std::string_view body, Canonicalization c, std::size_t chunk) {
  Sink sink;
  BodyCanonicalizer canon(c, sink);
  for (std::size_t i = 0; i < body.size(); i += chunk) canon.feed(body.substr(i, chunk));
  canon.finish();
  return sink.out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t chunk = 1 + data[0] % 16;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
    const std::string whole = run(body, c, body.size() + 1);
    if (run(body, c, chunk) != whole) std::abort();
    for (auto build : {scan::Build::sse2, scan::Build::avx2}) {
      if (!scan::have(build)) continue;
      scan::limit_build(build);
      const std::string other = run(body, c, body.size() + 1);
      scan::limit_build(scan::Build::avx512);
      if (other != whole) std::abort();
    }
  }
  return 0;
}
