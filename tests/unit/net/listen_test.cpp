// The listen address grammar (Postfix inet:HOST:PORT and unix:PATH, Sendmail /
// OpenDKIM inet:PORT@HOST, inet6:, local:) and HOST:PORT: each form read and
// printed back, each refusal with its reason.
#include <gtest/gtest.h>

#include "net/listen.hpp"

namespace domainauth::net {
namespace {

struct Spec {
  const char* text;
  const char* want;  // to_string(), or nullptr when refused
  const char* error = "";  // when refused: why
};

class ListenAddressSyntax : public ::testing::TestWithParam<Spec> {};

TEST_P(ListenAddressSyntax, ParsesAndPrints) {
  std::string error;
  const auto address = ListenAddress::parse(GetParam().text, error);
  if (GetParam().want == nullptr) {
    EXPECT_FALSE(address) << address->to_string();
    EXPECT_EQ(error, GetParam().error);
  } else {
    ASSERT_TRUE(address) << error;
    EXPECT_EQ(address->to_string(), GetParam().want);
    std::string again_error;
    EXPECT_EQ(ListenAddress::parse(address->to_string(), again_error), address) << "to_string reads back";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ListenAddressSyntax,
    ::testing::Values(Spec{"inet:127.0.0.1:8891", "inet:127.0.0.1:8891"},  // Postfix smtpd_milters
                      Spec{"inet:127.0.0.1:10023", "inet:127.0.0.1:10023"},
                      Spec{"inet:[::1]:8891", "inet:[::1]:8891"},
                      Spec{"inet:localhost:1", "inet:localhost:1"},
                      Spec{"inet:mail.example.org:25", "inet:mail.example.org:25"},
                      Spec{"inet:8891@127.0.0.1", "inet:127.0.0.1:8891"},  // Sendmail / OpenDKIM
                      Spec{"inet:8891@localhost", "inet:localhost:8891"},
                      Spec{"inet6:8891@[::1]", "inet:[::1]:8891"},
                      Spec{"inet6:8891@::1", "inet:[::1]:8891"},
                      Spec{"inet:8891", "inet:0.0.0.0:8891"},
                      Spec{"inet:*:8891", "inet:0.0.0.0:8891"},
                      Spec{"inet:127.0.0.1:0", "inet:127.0.0.1:0"},  // any free port (tests)
                      Spec{"unix:/run/domainauth/milter", "unix:/run/domainauth/milter"},
                      Spec{"local:/run/x", "unix:/run/x"}));

INSTANTIATE_TEST_SUITE_P(
    Refusals, ListenAddressSyntax,
    ::testing::Values(Spec{"tcp:1.2.3.4:5", nullptr, "expected inet:HOST:PORT or unix:PATH"},
                      Spec{"8891", nullptr, "expected inet:HOST:PORT or unix:PATH"},
                      Spec{"inet:127.0.0.1:65536", nullptr, "port must be a number from 1 to 65535"},
                      Spec{"inet:127.0.0.1:70000", nullptr, "port must be a number from 1 to 65535"},
                      Spec{"inet:127.0.0.1", nullptr, "port must be a number from 1 to 65535"},
                      Spec{"inet:h:x", nullptr, "port must be a number from 1 to 65535"},
                      Spec{"inet::25", nullptr, "missing host"},
                      Spec{"inet:8891@", nullptr, "missing host"},
                      Spec{"inet:::1:8891", nullptr, "an IPv6 address needs brackets: [IPV6]"},
                      Spec{"inet6:8891@127.0.0.1", nullptr, "inet6: HOST must be an IPv6 address"},
                      Spec{"unix:", nullptr, "unix socket path must have 1 to 107 bytes"},
                      Spec{"unix:relative", nullptr, "unix socket path must be absolute"}));

TEST(ListenAddress, UnixPathLongerThanSunPathRefused) {
  std::string error;
  EXPECT_FALSE(ListenAddress::parse("unix:/" + std::string(107, 'x'), error));
  EXPECT_EQ(error, "unix socket path must have 1 to 107 bytes");
  EXPECT_TRUE(ListenAddress::parse("unix:/" + std::string(106, 'x'), error)) << error;
}

TEST(ListenAddress, IpIsTheAddressToBindWithoutALookup) {
  std::string error;
  EXPECT_EQ(ListenAddress::parse("inet:[::1]:1", error)->ip(), IpAddress::parse("::1"));
  EXPECT_EQ(ListenAddress::parse("inet:localhost:1", error)->ip(), IpAddress::parse("127.0.0.1"));
  EXPECT_EQ(ListenAddress::parse("inet:1", error)->ip(), IpAddress::parse("0.0.0.0"));
  EXPECT_FALSE(ListenAddress::parse("inet:mail.example.org:1", error)->ip());
}

TEST(HostPort, ReadsHostAndPort) {
  std::string error;
  const auto v6 = parse_host_port("[2001:db8::1]:587", error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->port, 587);
  const auto named = parse_host_port("relay.example.net:25", error);
  ASSERT_TRUE(named) << error;
  EXPECT_EQ(named->host, "relay.example.net");
  EXPECT_FALSE(parse_host_port("relay.example.net", error));
  EXPECT_EQ(error, "expected HOST:PORT");
}

}  // namespace
}  // namespace domainauth::net
