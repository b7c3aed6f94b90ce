// Postfix policy request parser: well-formed requests as Postfix sends them,
// several on one connection, split reads, and every malformed / oversize case.
#include <gtest/gtest.h>

#include <string>

#include "policy/request.hpp"

namespace domainauth::policy {
namespace {

const std::string kPostfixRequest =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "protocol_name=ESMTP\n"
    "client_address=192.0.2.1\n"
    "client_name=another.domain.tld\n"
    "helo_name=some.domain.tld\n"
    "sender=foo@bar.tld\n"
    "recipient=bar@foo.tld\n"
    "queue_id=\n"
    "instance=123.456.7\n"
    "sasl_username=\n"
    "size=12345\n"
    "\n";

TEST(PolicyRequest, SmtpdPolicyReadmeExampleParses) {
  const auto result = parse_request(kPostfixRequest);
  ASSERT_TRUE(result.request.has_value());
  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.request->get("protocol_state"), "RCPT");
  EXPECT_EQ(result.request->get("client_address"), "192.0.2.1");
  EXPECT_EQ(result.request->get("instance"), "123.456.7");
  EXPECT_TRUE(result.request->has("queue_id"));
  EXPECT_EQ(result.request->get("queue_id"), "");
  EXPECT_FALSE(result.request->has("ccert_subject"));
  EXPECT_EQ(result.request->attributes().size(), 12u);
}

TEST(PolicyRequest, ValueMayContainEqualsAndSpaces) {
  const auto result = parse_request("sender=a=b c@example.com\n\n");
  ASSERT_TRUE(result.request);
  EXPECT_EQ(result.request->get("sender"), "a=b c@example.com");
}

TEST(PolicyRequest, CrLfLineEndingsTolerated) {
  const auto result = parse_request("protocol_state=RCPT\r\n\r\n");
  ASSERT_TRUE(result.request);
  EXPECT_EQ(result.request->get("protocol_state"), "RCPT");
}

TEST(PolicyRequest, IncompleteRequestGivesNeitherRequestNorError) {
  const auto result = parse_request("protocol_state=RCPT\nsender=a@b");
  EXPECT_FALSE(result.request);
  EXPECT_FALSE(result.error);
}

TEST(PolicyRequest, SeveralRequestsOnOneConnectionByteByByte) {
  RequestParser parser;
  const std::string stream = kPostfixRequest + "protocol_state=DATA\n\n" + kPostfixRequest;
  std::vector<Request> got;
  for (char c : stream) {
    parser.feed(std::string_view(&c, 1));
    for (auto next = parser.next(); next.kind != RequestParser::Next::Kind::need_more; next = parser.next()) {
      ASSERT_EQ(next.kind, RequestParser::Next::Kind::request);
      got.push_back(std::move(next.request));
    }
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].get("protocol_state"), "DATA");
  EXPECT_EQ(got[1].attributes().size(), 1u);
  EXPECT_EQ(got[2].get("sender"), "foo@bar.tld");
  EXPECT_FALSE(parser.in_request());
}

TEST(PolicyRequest, InRequestAfterPartialLine) {
  RequestParser parser;
  parser.feed("protocol_st");
  EXPECT_EQ(parser.next().kind, RequestParser::Next::Kind::need_more);
  EXPECT_TRUE(parser.in_request());
}

struct BadCase {
  const char* name;
  std::string text;
  ParseError error;
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }


class PolicyRequestMalformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(PolicyRequestMalformed, GivesSpecificError) {
  const auto& c = GetParam();
  const auto result = parse_request(c.text);
  ASSERT_TRUE(result.error.has_value()) << c.name;
  EXPECT_EQ(*result.error, c.error) << c.name << ": got " << to_string(*result.error);
  EXPECT_FALSE(result.request);
}

std::string many_attributes(std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) text += "a" + std::to_string(i) + "=x\n";
  return text + "\n";
}

std::string big_request() {
  std::string text;
  for (std::size_t i = 0; i * 4000 <= kMaxRequestSize; ++i) text += "n" + std::to_string(i) + "=" + std::string(4000, 'v') + "\n";
  return text + "\n";
}

INSTANTIATE_TEST_SUITE_P(
    Limits, PolicyRequestMalformed,
    ::testing::Values(
        BadCase{"line_without_equals", "protocol_state\n\n", ParseError::missing_equals},
        BadCase{"empty_name", "=RCPT\n\n", ParseError::bad_name},
        BadCase{"name_with_space", "protocol state=RCPT\n\n", ParseError::bad_name},
        BadCase{"name_too_long", std::string(kMaxNameLength + 1, 'n') + "=x\n\n", ParseError::bad_name},
        BadCase{"duplicate", "sender=a@b\nsender=c@d\n\n", ParseError::duplicate_attribute},
        BadCase{"nul_byte", std::string("sender=a\0b\n\n", 11), ParseError::nul_byte},
        BadCase{"line_too_long_with_newline", "sender=" + std::string(kMaxLineLength, 'x') + "\n\n",
                ParseError::line_too_long},
        BadCase{"line_too_long_without_newline", "sender=" + std::string(kMaxLineLength * 2, 'x'),
                ParseError::line_too_long},
        BadCase{"too_many_attributes", many_attributes(kMaxAttributes + 1), ParseError::too_many_attributes},
        BadCase{"request_too_large", big_request(), ParseError::request_too_large}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(PolicyRequest, LimitsThemselvesAreAccepted) {
  EXPECT_TRUE(parse_request(many_attributes(kMaxAttributes)).request);
  const auto longest = "s=" + std::string(kMaxLineLength - 2, 'x') + "\n\n";
  EXPECT_TRUE(parse_request(longest).request);
}

TEST(PolicyRequest, ErrorIsSticky) {
  RequestParser parser;
  parser.feed("bad line\n\nprotocol_state=RCPT\n\n");
  EXPECT_EQ(parser.next().kind, RequestParser::Next::Kind::error);
  EXPECT_EQ(parser.next().kind, RequestParser::Next::Kind::error);
}

}  // namespace
}  // namespace domainauth::policy
