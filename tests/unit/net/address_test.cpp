// Unit tests of net::IpAddress and net::Network: text forms (RFC 4291, 5952),
// reverse names, prefix matching.
#include <gtest/gtest.h>

#include "net/address.hpp"

using domainauth::net::IpAddress;
using domainauth::net::Network;

TEST(IpAddress, ParsesAndPrintsIpv4) {
  auto ip = IpAddress::parse("192.0.2.10");
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->is_v4());
  EXPECT_EQ(ip->to_string(), "192.0.2.10");
  EXPECT_EQ(ip->reverse_name(), "10.2.0.192.in-addr.arpa");
}

TEST(IpAddress, LoopbackIsRfc6890sBlocks) {
  for (const char* text : {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IpAddress::parse(text)->is_loopback()) << text;
  }
  for (const char* text : {"128.0.0.1", "0.0.0.0", "::", "::2", "1::1", "::ffff:10.0.0.1", "192.0.2.127"}) {
    EXPECT_FALSE(IpAddress::parse(text)->is_loopback()) << text;
  }
}

TEST(IpAddress, RejectsMalformedIpv4) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "1.2.3.4.", "a.b.c.d", " 1.2.3.4"})
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
}

TEST(IpAddress, Rfc5952CanonicalIpv6) {
  struct Case { const char* in; const char* out; };
  for (auto [in, out] : {Case{"2001:db8:0:0:0:0:0:1", "2001:db8::1"}, Case{"::", "::"}, Case{"::1", "::1"},
                         Case{"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, Case{"1:0:0:2::3", "1:0:0:2::3"}, Case{"1:0:0:2:0:0:1:1", "1::2:0:0:1:1"},
                         Case{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
                         Case{"::ffff:192.0.2.1", "::ffff:c000:201"}}) {
    auto ip = IpAddress::parse(in);
    ASSERT_TRUE(ip) << in;
    EXPECT_EQ(ip->to_string(), out) << in;
  }
}

TEST(IpAddress, RejectsMalformedIpv6) {
  for (const char* bad : {":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1:2:3:4:5:6:7:", ":1:2:3:4:5:6:7",
                          "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "fe80::1%eth0"})
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
}

TEST(IpAddress, Ipv6NibblesAndReverse) {
  auto ip = IpAddress::parse("2001:db8::cb01");
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->dotted_nibbles(), "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
  EXPECT_EQ(ip->reverse_name(), "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST(IpAddress, UnmapsIpv4MappedIpv6) {
  auto ip = IpAddress::parse("::ffff:192.0.2.1");
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->unmapped(), *IpAddress::parse("192.0.2.1"));
  EXPECT_EQ(IpAddress::parse("2001:db8::1")->unmapped(), *IpAddress::parse("2001:db8::1"));
}

TEST(Network, PrefixMatching) {
  auto net = Network::parse("192.0.2.0/25");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*IpAddress::parse("192.0.2.127")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("192.0.2.128")));
  EXPECT_TRUE(net->contains(*IpAddress::parse("::ffff:192.0.2.1")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("2001:db8::1")));
  auto v6 = Network::parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*IpAddress::parse("2001:db8:ffff::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("2001:db9::1")));
  EXPECT_EQ(Network::parse("10.0.0.1")->prefix_len, 32u);
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "::/129", "x/1"})
    EXPECT_FALSE(Network::parse(bad)) << bad;
}
