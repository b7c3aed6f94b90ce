// Unit tests of DKIM key records (RFC 6376 3.6.1, RFC 8463 4).
#include <gtest/gtest.h>

#include "dkim/key_record.hpp"

namespace domainauth::dkim {
namespace {

TEST(KeyRecord, Rfc6376_3_6_1_Defaults) {
  auto k = parse_key_record("p=AAAA");
  ASSERT_TRUE(k.ok()) << k.error;
  EXPECT_EQ(k.record.type, KeyType::rsa);
  EXPECT_FALSE(k.record.testing);
  EXPECT_FALSE(k.record.strict);
  EXPECT_TRUE(allows_hash(k.record, Algorithm::rsa_sha1));
}

TEST(KeyRecord, Rfc6376_3_6_1_FlagsAndHashes) {
  auto k = parse_key_record("v=DKIM1; k=ed25519; h=sha256; t=y:s:future; s=email; p=AAAA");
  ASSERT_TRUE(k.ok()) << k.error;
  EXPECT_EQ(k.record.type, KeyType::ed25519);
  EXPECT_TRUE(k.record.testing);
  EXPECT_TRUE(k.record.strict);
  EXPECT_TRUE(allows_hash(k.record, Algorithm::ed25519_sha256));
  EXPECT_FALSE(allows_hash(k.record, Algorithm::rsa_sha1));
}

TEST(KeyRecord, Rfc6376_3_6_1_EmptyPRevokes) {
  auto k = parse_key_record("v=DKIM1; p=");
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k.record.revoked);
}

TEST(KeyRecord, Rfc6376_3_6_1_Errors) {
  const struct {
    const char* text;
    const char* why;
  } cases[] = {
      {"v=DKIM2; p=AAAA", "not DKIM1"},
      {"k=rsa; v=DKIM1; p=AAAA", "not DKIM1"},
      {"k=dsa; p=AAAA", "unsupported key type"},
      {"s=chat; p=AAAA", "does not allow email"},
      {"k=rsa", "no p="},
      {"p=A*AA", "not valid base64"},
      {"k=rsa; t; p=AAAA", "syntax"},
      {"", "no p="},
  };
  for (const auto& c : cases) {
    auto k = parse_key_record(c.text);
    EXPECT_NE(k.error.find(c.why), std::string::npos) << c.text << " -> " << k.error;
  }
}

TEST(KeyRecord, ServiceStarAllowsEmail) { EXPECT_TRUE(parse_key_record("s=*; p=AAAA").ok()); }

}  // namespace
}  // namespace domainauth::dkim
