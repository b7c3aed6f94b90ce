// What the web listener answers: parser errors, the token as Bearer (RFC 6750
// 2.1) or Basic password (RFC 7617), GET only (405 with Allow), 404 for unknown
// paths, a page's own answer and its failure as 500, deferred pages.
#include <gtest/gtest.h>

#include "dkim/crypto.hpp"
#include "web/router.hpp"

namespace domainauth::web {
namespace {

// The router's answer given at once (every page here but the deferred ones).
Response answer_now(const Router& router, const Parsed& parsed) {
  std::optional<Response> out;
  router.answer(parsed, [&out](Response r) { out = std::move(r); });
  EXPECT_TRUE(out) << "answered at once";
  return out.value_or(Response{});
}

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
  EXPECT_EQ(answer_now(router, get("/metrics")).body, "m 1\n");
  EXPECT_EQ(answer_now(router, get("/metrics/")).status, 404);
  EXPECT_EQ(answer_now(router, get("/")).status, 404);
}

TEST(Router, GetOnlyWithAllow) {
  const auto r = answer_now(with_pages(""), get("/metrics", std::nullopt, "POST"));
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.fields.size(), 1u);
  EXPECT_EQ(r.fields[0].first, "Allow");
}

TEST(Router, ParserErrorsKeepTheirStatus) {
  const auto r = answer_now(with_pages(""), {std::nullopt, 505, "HTTP/2.0 is not supported"});
  EXPECT_EQ(r.status, 505);
  EXPECT_NE(r.body.find("HTTP/2.0"), std::string::npos);
}

TEST(Router, BearerTokenRequiredWhenConfigured) {
  const auto router = with_pages("0123456789abcdef");
  for (const auto& authorization : std::vector<std::optional<std::string>>{
           std::nullopt, "Bearer 0123456789abcdeX", "Bearer 0123456789abcdef0", "Basic 0123456789abcdef",
           "Bearer", "0123456789abcdef"}) {
    const auto r = answer_now(router, get("/metrics", authorization));
    EXPECT_EQ(r.status, 401) << authorization.value_or("(none)");
    ASSERT_EQ(r.fields.size(), 2u);
    EXPECT_EQ(r.fields.at(0),
              std::make_pair(std::string("WWW-Authenticate"), std::string("Bearer realm=\"domainauth\"")));
    EXPECT_EQ(r.fields.at(1).second.rfind("Basic realm=", 0), 0u) << "a browser asks for the password itself";
  }
  EXPECT_EQ(answer_now(router, get("/metrics", "Bearer 0123456789abcdef")).status, 200);
  EXPECT_EQ(answer_now(router, get("/metrics", "bearer 0123456789abcdef")).status, 200);  // scheme is case-insensitive
  EXPECT_EQ(answer_now(router, get("/nothing", std::nullopt)).status, 401);  // nothing is told without the token
}

TEST(Router, TokenAsTheBasicPassword) {
  const auto router = with_pages("0123456789abcdef");
  const auto basic = [](std::string_view credentials) { return "Basic " + dkim::base64_encode(credentials); };
  EXPECT_EQ(answer_now(router, get("/metrics", basic("admin:0123456789abcdef"))).status, 200);
  EXPECT_EQ(answer_now(router, get("/metrics", basic(":0123456789abcdef"))).status, 200) << "any user name";
  EXPECT_EQ(answer_now(router, get("/metrics", "basic " + dkim::base64_encode("x:0123456789abcdef"))).status, 200);
  for (const auto& bad : {basic("admin:0123456789abcdeX"), basic("0123456789abcdef"), basic("admin:"),
                          std::string("Basic !!!"), std::string("Basic"), basic("0123456789abcdef:admin")}) {
    EXPECT_EQ(answer_now(router, get("/metrics", bad)).status, 401) << bad;
  }
}

TEST(Router, DeferredPagesAnswerWhenTheyAreDone) {
  Router router("");
  Reply held;
  router.add_deferred("/later", [&held](const Request&, Reply reply) { held = std::move(reply); });
  std::optional<Response> out;
  router.answer(get("/later"), [&out](Response r) { out = std::move(r); });
  EXPECT_FALSE(out) << "not answered yet";
  ASSERT_TRUE(held);
  Response r;
  r.body = "done";
  held(r);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->body, "done");
  out.reset();
  router.answer(get("/later", std::nullopt, "POST"), [&out](Response refusal) { out = std::move(refusal); });
  ASSERT_TRUE(out) << "refusals come at once";
  EXPECT_EQ(out->status, 405);
}

TEST(Router, PageFailureIs500) {
  const auto r = answer_now(with_pages(""), get("/broken"));
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("database gone"), std::string::npos);
}

}  // namespace
}  // namespace domainauth::web
