// Helpers shared by the DKIM unit and conformance tests: files, message
// splitting, and running the verifier synchronously over an in-memory resolver.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dkim/signer.hpp"
#include "dkim/verifier.hpp"
#include "mail/header.hpp"
#include "support/memory_resolver.hpp"

namespace domainauth::dkim::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string to_crlf(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out.push_back('\r');
    out.push_back(text[i]);
  }
  return out;
}

struct Split {
  std::vector<mail::HeaderField> headers;
  std::string body;
  std::string error;
};

inline Split split(std::string_view message) {
  mail::MessageSplitter s;
  Split out;
  out.body = std::string(s.feed(message));
  s.finish();
  out.error = s.error();
  out.headers = s.take_headers();
  return out;
}

// A resolver plus the loop it answers on.
struct World {
  asio::io_context io;
  domainauth::testing::MemoryResolver dns{io.get_executor()};

  std::vector<SignatureResult> verify(std::string_view message, VerifyOptions options = {}) {
    Split parts = split(message);
    auto future = asio::co_spawn(io, verify_message(dns, options, std::move(parts.headers), parts.body),
                                 asio::use_future);
    io.restart();
    io.run();
    return future.get();
  }
};

// Signs message (CRLF or LF) with the requests; returns the signature fields
// prepended to the message, each followed by CRLF.
inline std::string sign(std::string_view message, std::vector<SignRequest> requests, std::string* error = nullptr) {
  Split parts = split(message);
  Signer signer(std::move(requests), std::move(parts.headers));
  signer.body(parts.body);
  std::string fields;
  for (auto& out : signer.finish()) {
    if (!out.error.empty() && error) *error = out.error;
    fields += out.field + "\r\n";
  }
  return fields + std::string(message);
}

}  // namespace domainauth::dkim::testing
