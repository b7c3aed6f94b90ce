// Unit tests of DNS server specs (dns::parse_server): "HOST", "HOST:PORT",
// "[V6]", "[V6]:PORT" -> address and port (written "ADDR@PORT" below).
#include <gtest/gtest.h>

#include "dns/config.hpp"

namespace domainauth::dns {
namespace {

TEST(ParseServer, accepted_forms) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"127.0.0.1", "127.0.0.1@53"},
      {"127.0.0.1:5353", "127.0.0.1@5353"},
      {"[::1]:5353", "::1@5353"},
      {"[::1]", "::1@53"},
      {"::1", "::1@53"},
      {"2001:DB8::1", "2001:db8::1@53"},
      {"[2001:db8:0:0:0:0:0:1]:65535", "2001:db8::1@65535"},
      {"10.0.0.1:1", "10.0.0.1@1"},
  };
  for (const auto& [spec, want] : cases) {
    std::string error;
    const auto got = parse_server(spec, error);
    ASSERT_TRUE(got.has_value()) << spec << ": " << error;
    EXPECT_EQ(got->address.to_string() + "@" + std::to_string(got->port), want) << spec;
  }
}

TEST(ParseServer, rejected_forms_say_why) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"", "not an IP address"},
      {"localhost", "not an IP address"},
      {"dns.example:53", "not an IP address"},
      {"127.0.0.1:", "bad port"},
      {"127.0.0.1:0", "bad port"},
      {"127.0.0.1:65536", "bad port"},
      {"127.0.0.1:53x", "bad port"},
      {"127.0.0.1:-1", "bad port"},
      {"[::1", "missing ']'"},
      {"[::1]5353", "bad port"},
      {"[::1]:", "bad port"},
      {"[127.0.0.1]:53", "not an IPv6 address"},
      {"1.2.3.4.5", "not an IP address"},
      {"::1:53x", "not an IP address"},
  };
  for (const auto& [spec, why] : cases) {
    std::string error;
    EXPECT_FALSE(parse_server(spec, error).has_value()) << spec;
    EXPECT_NE(error.find(why), std::string::npos) << spec << ": got \"" << error << "\"";
  }
}

}  // namespace
}  // namespace domainauth::dns
