// What the web listener answers: parser errors, the bearer token (RFC 6750
// 2.1), GET only (405 with Allow), 404 for unknown paths, a page's own answer
// and its failure as 500.
#include <gtest/gtest.h>

#include "web/router.hpp"

namespace domainauth::web {
namespace {

Parsed get(std::string path, std::optional<std::string> authorization = std::nullopt, std::string method = "GET") {
  return {Request{std::move(method), std::move(path), "", std::move(authorization)}, 200, {}};
}

Router with_pages(std::string token) {
  Router router(std::move(token));
  router.add("/metrics", [](const Request&) {
    Response r;
    r.body = "m 1\n";
    return r;
  });
  router.add("/broken", [](const Request&) -> Response { throw std::runtime_error("database gone"); });
  return router;
}

TEST(Router, PagesByExactPath) {
  const auto router = with_pages("");
  EXPECT_EQ(router.answer(get("/metrics")).body, "m 1\n");
  EXPECT_EQ(router.answer(get("/metrics/")).status, 404);
  EXPECT_EQ(router.answer(get("/")).status, 404);
}

TEST(Router, GetOnlyWithAllow) {
  const auto r = with_pages("").answer(get("/metrics", std::nullopt, "POST"));
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.fields.size(), 1u);
  EXPECT_EQ(r.fields[0].first, "Allow");
}

TEST(Router, ParserErrorsKeepTheirStatus) {
  const auto r = with_pages("").answer({std::nullopt, 505, "HTTP/2.0 is not supported"});
  EXPECT_EQ(r.status, 505);
  EXPECT_NE(r.body.find("HTTP/2.0"), std::string::npos);
}

TEST(Router, BearerTokenRequiredWhenConfigured) {
  const auto router = with_pages("0123456789abcdef");
  for (const auto& authorization : std::vector<std::optional<std::string>>{
           std::nullopt, "Bearer 0123456789abcdeX", "Bearer 0123456789abcdef0", "Basic 0123456789abcdef",
           "Bearer", "0123456789abcdef"}) {
    const auto r = router.answer(get("/metrics", authorization));
    EXPECT_EQ(r.status, 401) << authorization.value_or("(none)");
    EXPECT_EQ(r.fields.at(0).first, "WWW-Authenticate");
  }
  EXPECT_EQ(router.answer(get("/metrics", "Bearer 0123456789abcdef")).status, 200);
  EXPECT_EQ(router.answer(get("/metrics", "bearer 0123456789abcdef")).status, 200);  // scheme is case-insensitive
  EXPECT_EQ(router.answer(get("/nothing", std::nullopt)).status, 401);  // nothing is told without the token
}

TEST(Router, PageFailureIs500) {
  const auto r = with_pages("").answer(get("/broken"));
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("database gone"), std::string::npos);
}

}  // namespace
}  // namespace domainauth::web
