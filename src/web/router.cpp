// The web listener's routing and access check (router.hpp).
#include "web/router.hpp"

#include "text/ascii.hpp"

namespace domainauth::web {

namespace {

// Equal in time independent of where they differ (the token is a password).
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

bool Router::authorized(const Request& request) const {
  if (token_.empty()) return true;
  if (!request.authorization) return false;
  // RFC 6750 2.1: "Bearer" (a case-insensitive scheme, RFC 9110 11.1) SP token.
  const std::string_view value = *request.authorization;
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() < kScheme.size() || !text::iequals(value.substr(0, kScheme.size()), kScheme)) return false;
  return same_secret(value.substr(kScheme.size()), token_);
}

Response Router::answer(const Parsed& parsed) const {
  if (!parsed.request) return error_response(parsed.status, parsed.error);
  const Request& request = *parsed.request;
  if (!authorized(request)) {
    auto response = error_response(401, "send Authorization: Bearer <web.token>");
    response.fields.emplace_back("WWW-Authenticate", "Bearer realm=\"domainauth\"");
    return response;
  }
  if (request.method != "GET") {
    auto response = error_response(405, "only GET is served");
    response.fields.emplace_back("Allow", "GET");
    return response;
  }
  const auto page = pages_.find(request.path);
  if (page == pages_.end()) return error_response(404, request.path);
  try {
    return page->second(request);
  } catch (const std::exception& e) {
    return error_response(500, e.what());
  }
}

}  // namespace domainauth::web
