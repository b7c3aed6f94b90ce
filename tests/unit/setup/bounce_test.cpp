// Bounce reading (RFC 3464 DSN fields, plain-text SMTP replies) and the refusal
// table, over the real-shaped bounces in tests/data/bounces.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "setup/bounce.hpp"

namespace domainauth::setup {
namespace {

std::string read(const std::string& name) {
  std::ifstream file(std::string(DOMAINAUTH_BOUNCES) + "/" + name, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

struct Case {
  const char* file;
  const char* status;
  const char* pattern;
  const char* sender_domain;
  const char* ip;
};

const Case kCases[] = {
    {"gmail-5.7.1-unsolicited.eml", "5.7.1", "gmail.5.7.1.unsolicited", "example.com", "192.0.2.10"},
    {"gmail-5.7.25-ptr.eml", "5.7.25", "gmail.5.7.25", "example.com", "192.0.2.10"},
    {"gmail-5.7.26-dmarc.eml", "5.7.26", "gmail.5.7.26.dmarc", "example.com", ""},
    {"gmail-5.7.26-unauthenticated.eml", "5.7.26", "gmail.5.7.26", "example.com", "192.0.2.10"},
    {"gmail-5.7.27-spf.eml", "5.7.27", "gmail.5.7.27", "example.com", "192.0.2.10"},
    {"yahoo-5.7.9-policy.eml", "5.7.9", "yahoo.5.7.9", "example.com", ""},
    {"yahoo-553-5.7.1-blocklist-plain.eml", "5.7.1", "yahoo.5.7.1.bl", "example.com", "192.0.2.10"},
    {"microsoft-5.7.515-auth-level.eml", "5.7.515", "microsoft.5.7.515", "example.com", ""},
    {"microsoft-5.7.509-dmarc.eml", "5.7.509", "microsoft.5.7.509", "example.com", ""},
    {"microsoft-5.7.23-spf.eml", "5.7.23", "microsoft.5.7.23", "example.com", ""},
    {"postfix-5.1.1-unknown-user.eml", "5.1.1", "generic.5.1.1", "example.com", ""},
};

TEST(Bounce, RealShapedBouncesMatchTheirPattern) {
  for (const auto& c : kCases) {
    auto bounce = read_bounce(read(c.file));
    ASSERT_TRUE(bounce) << c.file;
    EXPECT_EQ(bounce->status, c.status) << c.file;
    ASSERT_NE(bounce->pattern, nullptr) << c.file;
    EXPECT_EQ(bounce->pattern->id, c.pattern) << c.file;
    EXPECT_EQ(bounce->sender_domain, c.sender_domain) << c.file;
    EXPECT_EQ(bounce->sending_ip, c.ip) << c.file;
  }
}

TEST(Bounce, Rfc3464DsnFieldsAndMultiLineReplyJoined) {
  auto b = read_bounce(read("gmail-5.7.26-unauthenticated.eml"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->remote_mta, "gmail-smtp-in.l.google.com");
  EXPECT_EQ(b->recipient, "bob@gmail.com");
  EXPECT_EQ(b->reply.rfind("550 5.7.26 This mail has been blocked", 0), 0u) << b->reply;
  EXPECT_EQ(b->reply.find("550-5.7.26"), std::string::npos) << b->reply;
}

TEST(Bounce, TextWithoutAnyReplyIsNotABounce) {
  EXPECT_FALSE(read_bounce("From: a@example.com\n\nhello, no reply codes here\n"));
  EXPECT_FALSE(read_bounce(""));
}

TEST(Bounce, HostileInputStaysBounded) {
  std::string huge(kMaxBounceBytes + 1000, 'x');
  huge += "\n550 5.7.26 late\n";
  EXPECT_FALSE(read_bounce(huge));  // cut at the limit, the reply beyond it is not read
  std::string long_line = "Diagnostic-Code: smtp; " + std::string(100000, 'y') + "\n";
  auto b = read_bounce(long_line);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->pattern, nullptr);
}

// The sending IP in the forms receivers write it, and none in look-alikes.
TEST(Bounce, SendingIpForms) {
  auto ip = [](const std::string& reply) {
    auto b = read_bounce("Status: 5.7.1\nDiagnostic-Code: smtp; 550 5.7.1 " + reply + "\n");
    return b ? b->sending_ip : std::string("(no bounce)");
  };
  EXPECT_EQ(ip("rejected [192.0.2.1] sorry"), "192.0.2.1");
  EXPECT_EQ(ip("The IP [192.0.2.1      12] is blocked"), "192.0.2.1");
  EXPECT_EQ(ip("from [2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(ip("[::ffff:192.0.2.7]"), "::ffff:192.0.2.7");
  EXPECT_EQ(ip("see [RFC5321] and [1.2.3] then [10.0.0.1]"), "10.0.0.1");
  EXPECT_EQ(ip("Mail from 192.0.2.9, blocked"), "192.0.2.9");
  EXPECT_EQ(ip("[1.2.3.4.5] [1234.1.1.1] [abc] [:] [1.2:3] [192.0.2.1 x]"), "");
}

// A long run of colons after "[" once sent a backtracking regex through
// quadratic time and deep recursion; the scan reads it once.
TEST(Bounce, LongColonRunInReplyIsScannedOnce) {
  const std::string reply = "Diagnostic-Code: x [" + std::string(39000, ':') + "\n";
  auto b = read_bounce("Status: 5.0.0\n" + reply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->sending_ip, "");
}

TEST(Bounce, TableOrderPrefersSpecificTexts) {
  EXPECT_EQ(match_pattern("5.7.26", "550 5.7.26 ... DMARC policy")->id, "gmail.5.7.26.dmarc");
  EXPECT_EQ(match_pattern("5.7.1", "550 5.7.1 something else")->id, "generic.5.7.1");
  EXPECT_EQ(match_pattern("4.7.0", "421 4.7.0 try later")->id, "generic.4xx");
  EXPECT_EQ(match_pattern("5.7.10", "550 5.7.10 x"), nullptr);
}

}  // namespace
}  // namespace domainauth::setup
