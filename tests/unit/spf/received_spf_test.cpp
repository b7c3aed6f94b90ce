// Result tokens and the Received-SPF field (RFC 7208 9.1): fields, and safe
// quoting of every value that came from the SMTP dialogue.
#include <gtest/gtest.h>

#include "spf/spf.hpp"

namespace domainauth::spf {
namespace {

TEST(SpfReceived, Rfc8601ResultTokens) {
  const std::pair<Result, const char*> cases[] = {
      {Result::none, "none"},         {Result::neutral, "neutral"},     {Result::pass, "pass"},
      {Result::fail, "fail"},         {Result::softfail, "softfail"},   {Result::temperror, "temperror"},
      {Result::permerror, "permerror"},
  };
  for (auto [result, token] : cases) EXPECT_EQ(to_string(result), token);
  EXPECT_EQ(to_string(Identity::helo), "helo");
  EXPECT_EQ(to_string(Identity::mailfrom), "mailfrom");
}

TEST(SpfReceived, Rfc7208Section9_1Pass) {
  Outcome o;
  o.result = Result::pass;
  o.sender = "myname@example.com";
  o.mechanism = "ip4:192.0.2.0/24";
  std::string field = received_spf(o, *net::IpAddress::parse("192.0.2.1"), "foo.example.com", "mybox.example.org");
  EXPECT_EQ(field,
            "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) "
            "client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; helo=foo.example.com; "
            "receiver=mybox.example.org; identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\"");
}

TEST(SpfReceived, Rfc7208Section9_1ErrorsCarryTheProblem) {
  Outcome o;
  o.result = Result::permerror;
  o.sender = "a@example.com";
  o.reason = "unknown mechanism in term \"moo\"";
  std::string field = received_spf(o, *net::IpAddress::parse("2001:db8::1"), "h.example.com", "r.example.org");
  EXPECT_NE(field.find("client-ip=\"2001:db8::1\""), std::string::npos) << field;
  EXPECT_NE(field.find("problem=\"unknown mechanism in term \\\"moo\\\"\""), std::string::npos) << field;
}

TEST(SpfReceived, HostileSmtpValuesCannotInjectFieldsOrLines) {
  Outcome o;
  o.result = Result::fail;
  o.sender = "evil\"; receiver=x\r\nX-Spam: no(te)\\@example.com";
  std::string field = received_spf(o, *net::IpAddress::parse("192.0.2.1"), "h\r\nX: y; helo=z", "r.example.org");
  EXPECT_EQ(field.find('\r'), std::string::npos) << field;
  EXPECT_EQ(field.find('\n'), std::string::npos) << field;
  EXPECT_NE(field.find("envelope-from=\"evil\\\"; receiver=x??X-Spam: no(te)\\\\@example.com\""), std::string::npos)
      << field;
  EXPECT_NE(field.find("helo=\"h??X: y; helo=z\""), std::string::npos) << field;
  // In the comment, parentheses are quoted-pairs so the comment cannot end early.
  EXPECT_NE(field.find("no\\(te\\)"), std::string::npos) << field;
  EXPECT_EQ(field.find("; receiver=x;"), std::string::npos) << field;
}

}  // namespace
}  // namespace domainauth::spf
