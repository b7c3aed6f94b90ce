// dns::is_domain_name: the name syntax every module checks untrusted names with.
#include <gtest/gtest.h>

#include <string>

#include "dns/domain_name.hpp"

namespace domainauth::dns {
namespace {

TEST(DomainName, LdhOrUnderscoreLabelsWithinTheLengthLimits) {
  EXPECT_TRUE(is_domain_name("example.com"));
  EXPECT_TRUE(is_domain_name("example.com."));
  EXPECT_TRUE(is_domain_name("_dmarc.Mail-1.example"));
  EXPECT_TRUE(is_domain_name("localhost"));
  EXPECT_TRUE(is_domain_name(std::string(63, 'a') + ".example"));
  EXPECT_FALSE(is_domain_name(std::string(64, 'a') + ".example"));
  std::string long_name;
  while (long_name.size() < 250) long_name += "abcdefghi.";
  EXPECT_FALSE(is_domain_name(long_name + "example"));  // over 253 octets
  for (const char* bad : {"", ".", "\xc3\xa9xample.com", "example..com", ".example.com", "example.com..", "exa mple.com", "a=b.com", "a@b"}) {
    EXPECT_FALSE(is_domain_name(bad)) << bad;
  }
}

}  // namespace
}  // namespace domainauth::dns
