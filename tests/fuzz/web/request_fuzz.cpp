// libFuzzer target for the web listener's request head parser and router:
// arbitrary bytes, cut at the first CRLF CRLF as the server reads them, must
// give a request or a 400 / 431 / 505 refusal, never a crash; a request has a
// token method and a path starting with '/'; query_value reads any query
// string; the router's answer is always a
// status it knows and serializes with a Content-Length equal to its body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "web/http.hpp"
#include "web/router.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth::web;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto end = input.find("\r\n\r\n"); end != std::string_view::npos) input = input.substr(0, end + 4);
  if (input.size() > kMaxRequestHead) input = input.substr(0, kMaxRequestHead);
  const Parsed parsed = parse_request(input);
  if (parsed.request) {
    // The query string reader takes any query: a value, if found, is no longer than the query.
    const auto value = query_value(parsed.request->query, "domain");
    if (value && value->size() > parsed.request->query.size()) std::abort();
  }
  if (parsed.request) {
    if (parsed.request->method.empty() || parsed.request->path.empty() || parsed.request->path[0] != '/') std::abort();
  } else if (parsed.status != 400 && parsed.status != 431 && parsed.status != 505) {
    std::abort();
  }
  static const Router router = [] {
    Router r("0123456789abcdef");
    r.add("/metrics", [](const Request&) { return Response{}; });
    return r;
  }();
  Response response;
  bool answered = false;
  router.answer(parsed, [&](Response r) {
    response = std::move(r);
    answered = true;
  });
  if (!answered) std::abort();  // every page here answers at once
  if (reason_phrase(response.status) == "Unknown") std::abort();
  const std::string out = serialize(response);
  const std::string length = "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  if (out.find(length) == std::string::npos) std::abort();
  return 0;
}
