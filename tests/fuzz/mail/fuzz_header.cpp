// libFuzzer target: the message splitter and header canonicalization on any
// input, fed whole and in chunks; the chunked split must equal the whole one.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mail/canonicalize.hpp"
#include "mail/header.hpp"

using namespace domainauth::mail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  MessageSplitter whole;
  std::string_view body = whole.feed(input);
  whole.finish();
  for (const auto& f : whole.headers()) {
    (void)canonicalize_header(f, Canonicalization::relaxed);
    (void)unfold(f.value());
  }
  MessageSplitter chunked;
  std::string chunked_body;
  for (std::size_t i = 0; i < size; i += 7) chunked_body.append(chunked.feed(input.substr(i, 7)));
  chunked.finish();
  if (chunked.headers().size() != whole.headers().size() || chunked_body != body) std::abort();
  return 0;
}
