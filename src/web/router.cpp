// The web listener's routing and access check (router.hpp).
#include "web/router.hpp"

#include "dkim/crypto.hpp"
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

// The credentials after a case-insensitive auth scheme and one space (RFC 9110 11.4), or nothing.
std::optional<std::string_view> credentials(std::string_view value, std::string_view scheme) {
  if (value.size() <= scheme.size() || !text::iequals(value.substr(0, scheme.size()), scheme) ||
      value[scheme.size()] != ' ') {
    return std::nullopt;
  }
  return value.substr(scheme.size() + 1);
}

Response unauthorized() {
  auto response = error_response(401, "send Authorization: Bearer <web.token>, or web.token as the Basic password");
  response.fields.emplace_back("WWW-Authenticate", "Bearer realm=\"domainauth\"");
  response.fields.emplace_back("WWW-Authenticate", "Basic realm=\"domainauth\", charset=\"UTF-8\"");
  return response;
}

}  // namespace

void Router::add(std::string path, Page page) {
  add_deferred(std::move(path), [page = std::move(page)](const Request& request, const Reply& reply) {
    Response response;
    try {
      response = page(request);
    } catch (const std::exception& e) {
      response = error_response(500, e.what());
    }
    reply(std::move(response));
  });
}

bool Router::authorized(const Request& request) const {
  if (token_.empty()) return true;
  if (!request.authorization) return false;
  // RFC 6750 2.1: Bearer TOKEN.
  if (const auto bearer = credentials(*request.authorization, "Bearer")) return same_secret(*bearer, token_);
  // RFC 7617 2: Basic base64(user-id ":" password); the user-id is not looked at.
  if (const auto basic = credentials(*request.authorization, "Basic")) {
    const auto decoded = dkim::base64_decode(*basic);
    if (!decoded) return false;
    const auto colon = decoded->find(':');
    return colon != std::string::npos && same_secret(std::string_view(*decoded).substr(colon + 1), token_);
  }
  return false;
}

void Router::answer(const Parsed& parsed, const Reply& reply) const {
  if (!parsed.request) return reply(error_response(parsed.status, parsed.error));
  const Request& request = *parsed.request;
  if (!authorized(request)) return reply(unauthorized());
  if (request.method != "GET") {
    auto response = error_response(405, "only GET is served");
    response.fields.emplace_back("Allow", "GET");
    return reply(std::move(response));
  }
  const auto page = pages_.find(request.path);
  if (page == pages_.end()) return reply(error_response(404, request.path));
  page->second(request, reply);
}

}  // namespace domainauth::web
