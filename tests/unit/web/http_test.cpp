// The request head parser (RFC 9112 3, 5): what it accepts, and each refusal
// with its status (400, 431, 505); and the response it writes.
#include <gtest/gtest.h>

#include "web/http.hpp"

namespace domainauth::web {
namespace {

TEST(HttpParse, Rfc9112RequestLineTargetAndFields) {
  const auto p = parse_request(
      "GET /metrics?name=x HTTP/1.1\r\nHost: localhost:8893\r\nAuthorization:  Bearer abc \r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(p.request) << p.error;
  EXPECT_EQ(p.request->method, "GET");
  EXPECT_EQ(p.request->path, "/metrics");
  EXPECT_EQ(p.request->query, "name=x");
  EXPECT_EQ(p.request->authorization, "Bearer abc");  // OWS trimmed (RFC 9112 5.1)
}

TEST(QueryValue, FormDecodedFirstMatch) {
  EXPECT_EQ(query_value("domain=example.com&days=7", "days"), "7");
  EXPECT_EQ(query_value("domain=ex%41mple.com", "domain"), "exAmple.com");
  EXPECT_EQ(query_value("a=b+c&a=d", "a"), "b c") << "the first of two";
  EXPECT_EQ(query_value("d%61ys=3", "days"), "3") << "names are decoded too";
  EXPECT_EQ(query_value("flag&x=1", "flag"), "");
  EXPECT_EQ(query_value("x=%4", "x"), "%4") << "a cut escape stays as it is";
  EXPECT_EQ(query_value("x=%zz", "x"), "%zz");
  EXPECT_EQ(query_value("days=7", "domain"), std::nullopt);
  EXPECT_EQ(query_value("", "domain"), std::nullopt);
}

TEST(HttpParse, Http10NeedsNoHost) {
  const auto p = parse_request("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(p.request) << p.error;
  EXPECT_FALSE(p.request->authorization);
}

TEST(HttpParse, RefusalsSayWhyWithTheirStatus) {
  struct Case {
    std::string head;
    std::uint16_t status;
    std::string why;
  };
  const std::string host = "Host: h\r\n";
  for (const auto& c : {
           Case{"GET /metrics HTTP/1.1\r\n\r\n", 400, "exactly one Host"},
           Case{"GET / HTTP/1.1\r\n" + host + host + "\r\n", 400, "exactly one Host"},
           Case{"GET / HTTP/2.0\r\n" + host + "\r\n", 505, "not supported"},
           Case{"GET / HTTP/1.1x\r\n" + host + "\r\n", 400, "not an HTTP version"},
           Case{"GET / \r\n" + host + "\r\n", 400, "not an HTTP version"},
           Case{"GET  / HTTP/1.1\r\n" + host + "\r\n", 400, "METHOD SP TARGET SP VERSION"},
           Case{"GET http://x/ HTTP/1.1\r\n" + host + "\r\n", 400, "origin-form"},
           Case{"G(T / HTTP/1.1\r\n" + host + "\r\n", 400, "not a token"},
           Case{"GET /a\x7f HTTP/1.1\r\n" + host + "\r\n", 400, "control"},
           Case{"GET / HTTP/1.1\r\n" + host + " folded\r\n\r\n", 400, "obs-fold"},
           Case{"GET / HTTP/1.1\r\n" + host + "No colon\r\n\r\n", 400, "NAME: VALUE"},
           Case{"GET / HTTP/1.1\r\n" + host + "Bad name: x\r\n\r\n", 400, "NAME: VALUE"},
           Case{"GET / HTTP/1.1\r\n" + host + "X: a\x01" "b\r\n\r\n", 400, "control octet"},
           Case{"GET / HTTP/1.1\r\n" + host + "X: a\rb\r\n\r\n", 400, "bare CR or LF"},
           Case{"GET / HTTP/1.1\n" + host + "\r\n", 400, "bare CR or LF"},
           Case{"GET / HTTP/1.1\r\n" + host + "Authorization: a\r\nAuthorization: b\r\n\r\n", 400, "Authorization"},
           Case{"GET / HTTP/1.1\r\n" + host, 400, "CRLF CRLF"},
           Case{"\r\n\r\n", 400, "METHOD SP TARGET"},
       }) {
    const auto p = parse_request(c.head);
    EXPECT_FALSE(p.request) << c.head;
    EXPECT_EQ(p.status, c.status) << c.head;
    EXPECT_NE(p.error.find(c.why), std::string::npos) << c.head << " -> " << p.error;
  }
}

TEST(HttpParse, LimitsEndIn431) {
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (std::size_t i = 0; i < kMaxHeaderFields; ++i) many += "X: y\r\n";
  many += "\r\n";
  EXPECT_EQ(parse_request(many).status, 431);
  const std::string huge = "GET /" + std::string(kMaxRequestHead, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(parse_request(huge).status, 431);
}

TEST(HttpResponse, SerializedWithLengthAndClose) {
  Response r;
  r.body = "hello";
  r.fields.emplace_back("Allow", "GET");
  EXPECT_EQ(serialize(r),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n"
            "Connection: close\r\nCache-Control: no-store\r\nAllow: GET\r\n\r\nhello");
  EXPECT_EQ(error_response(404, "/x").body, "Not Found: /x\n");
}

}  // namespace
}  // namespace domainauth::web
