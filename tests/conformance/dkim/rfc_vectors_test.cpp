// RFC 6376 / RFC 8463 vectors of testsuites/dkim-rfc (see its vectors.yml).
#include <gtest/gtest.h>

#include "dkim/signature.hpp"
#include "dkim/tag_list.hpp"
#include "unit/dkim/dkim_test_util.hpp"

namespace domainauth::dkim {
namespace {

using testing::read_file;
using testing::to_crlf;

const std::string kDir = std::string(DOMAINAUTH_TESTSUITES) + "/dkim-rfc/";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void add_rfc8463_keys(testing::World& w) {
  w.dns.add_txt("brisbane._domainkey.football.example.com",
                trim(read_file(kDir + "rfc8463/brisbane._domainkey.football.example.com.txt")));
  w.dns.add_txt("test._domainkey.football.example.com",
                trim(read_file(kDir + "rfc8463/test._domainkey.football.example.com.txt")));
}

// The RFC 8032 seed wrapped as PKCS#8 (RFC 8410 OneAsymmetricKey), then PEM.
PrivateKey rfc8463_ed25519_key() {
  auto seed = base64_decode(trim(read_file(kDir + "rfc8463/ed25519.private.b64")));
  EXPECT_TRUE(seed && seed->size() == 32);
  std::string der("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);
  der += *seed;
  std::string pem = "-----BEGIN PRIVATE KEY-----\n" + base64_encode(der) + "\n-----END PRIVATE KEY-----\n";
  std::string error;
  auto key = PrivateKey::from_pem(pem, &error);
  EXPECT_TRUE(key) << error;
  return *key;
}

PrivateKey rfc8463_rsa_key() {
  std::string error;
  auto key = PrivateKey::from_pem(read_file(kDir + "rfc8463/rsa.private.pem"), &error);
  EXPECT_TRUE(key) << error;
  return *key;
}

TEST(DkimRfcVectors, Rfc8463_AppendixA_BothSignaturesPass) {
  testing::World w;
  add_rfc8463_keys(w);
  auto results = w.verify(to_crlf(read_file(kDir + "rfc8463/signed.eml")));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].algorithm, "ed25519-sha256");
  EXPECT_EQ(results[0].result, Result::pass) << results[0].reason;
  EXPECT_EQ(results[1].algorithm, "rsa-sha256");
  EXPECT_EQ(results[1].result, Result::pass) << results[1].reason;
  EXPECT_EQ(results[0].domain, "football.example.com");
  EXPECT_EQ(results[0].selector, "brisbane");
}

TEST(DkimRfcVectors, Rfc8463_AppendixA_LfInputPassesToo) {
  testing::World w;
  add_rfc8463_keys(w);
  auto results = w.verify(read_file(kDir + "rfc8463/signed.eml"));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].result, Result::pass) << results[0].reason;
  EXPECT_EQ(results[1].result, Result::pass) << results[1].reason;
}

// RFC 8463 A: both algorithms are deterministic, so signing the unsigned message
// with the same tags and t= must give the published body hash, and verify.
TEST(DkimRfcVectors, Rfc8463_AppendixA_SignerReproducesBodyHashAndVerifies) {
  std::string unsigned_msg = to_crlf(read_file(kDir + "rfc8463/unsigned.eml"));
  std::vector<SignRequest> requests(2, SignRequest{"football.example.com", "brisbane", rfc8463_ed25519_key()});
  requests[1].selector = "test";
  requests[1].key = rfc8463_rsa_key();
  for (auto& r : requests) {
    r.headers = {"from", "to", "subject", "date", "message-id", "from", "subject", "date"};
    r.oversign = {};
    r.now = 1528637909;
  }
  std::string error;
  std::string signed_msg = testing::sign(unsigned_msg, requests, &error);
  ASSERT_EQ(error, "");
  EXPECT_NE(signed_msg.find("bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="), std::string::npos);
  testing::World w;
  add_rfc8463_keys(w);
  auto results = w.verify(signed_msg);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].result, Result::pass) << results[0].reason;
  EXPECT_EQ(results[1].result, Result::pass) << results[1].reason;
}

// vectors.yml signing_note: over the same field text, the signer's primitives
// reproduce both published b= values byte for byte.
TEST(DkimRfcVectors, Rfc8463_AppendixA_SigningReproducesPublishedB) {
  auto parts = testing::split(to_crlf(read_file(kDir + "rfc8463/signed.eml")));
  const PrivateKey keys[] = {rfc8463_ed25519_key(), rfc8463_rsa_key()};
  std::size_t n = 0;
  for (const auto& field : parts.headers) {
    if (!field.is("DKIM-Signature")) continue;
    auto parsed = parse_signature(field.value());
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    const Signature& s = parsed.signature;
    std::string data = header_hash_input(parts.headers, s.headers, s.header_canon, without_b_value(field));
    EXPECT_EQ(base64_encode(keys[n].sign(s.algorithm, data)), s.b_text) << s.algorithm_text;
    ++n;
  }
  EXPECT_EQ(n, 2u);
}

TEST(DkimRfcVectors, Rfc6376_AppendixA2_FailsOnBodyHashAsDocumented) {
  testing::World w;
  w.dns.add_txt("brisbane._domainkey.example.com",
                trim(read_file(kDir + "rfc6376/brisbane._domainkey.example.org.txt")));
  auto results = w.verify(to_crlf(read_file(kDir + "rfc6376/A.2-signed.eml")));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].result, Result::fail);
  EXPECT_EQ(results[0].reason, "body hash did not verify");
}

TEST(DkimRfcVectors, Rfc6376_AppendixC_KeyPairMatches) {
  std::string error;
  auto key = PrivateKey::from_pem(read_file(kDir + "rfc6376/appendixC-rsa.private.pem"), &error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->bits(), 1024u);
  std::string record = trim(read_file(kDir + "rfc6376/brisbane._domainkey.example.org.txt"));
  auto p = key->key_record().substr(key->key_record().find("p=") + 2);
  EXPECT_NE(strip_fws(record).find(p), std::string::npos);
}

}  // namespace
}  // namespace domainauth::dkim
