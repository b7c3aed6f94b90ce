// Unit tests of private key files: PEM PKCS#1 and PKCS#8, RSA and Ed25519,
// permission checks, generation and key records (RFC 6376 3.6.1, RFC 8463 4).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dkim/crypto.hpp"
#include "dkim/key_record.hpp"

namespace domainauth::dkim {
namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

class KeyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dkim-keys-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(KeyFiles, OpensslPkcs1AndPkcs8RsaAndPkcs8Ed25519Load) {
  const struct {
    const char* command;
    KeyType type;
    const char* header;
  } cases[] = {
      {"openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 2>/dev/null", KeyType::rsa, "BEGIN PRIVATE KEY"},
      {"openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 2>/dev/null | openssl rsa -traditional 2>/dev/null",
       KeyType::rsa, "BEGIN RSA PRIVATE KEY"},
      {"openssl genpkey -algorithm ed25519 2>/dev/null", KeyType::ed25519, "BEGIN PRIVATE KEY"},
  };
  for (const auto& c : cases) {
    std::string pem = run(c.command);
    ASSERT_NE(pem.find(c.header), std::string::npos) << c.command;
    std::string error;
    auto key = PrivateKey::load_file(write("k.pem", pem, 0600), false, &error);
    ASSERT_TRUE(key) << error;
    EXPECT_EQ(key->type(), c.type);
    // The key record it publishes holds the matching public key.
    auto record = parse_key_record(key->key_record());
    ASSERT_TRUE(record.ok()) << record.error;
    auto pub = PublicKey::from_record(c.type, record.record.public_key, &error);
    ASSERT_TRUE(pub) << error;
    std::string sig = key->sign(key->algorithm(), "data");
    EXPECT_TRUE(pub->verify(key->algorithm(), "data", sig));
    EXPECT_FALSE(pub->verify(key->algorithm(), "datA", sig));
  }
}

TEST_F(KeyFiles, GroupOrWorldAccessibleKeyRefusedUnlessAllowed) {
  std::string error;
  auto pem = PrivateKey::generate(KeyType::ed25519, 0, &error)->to_pem();
  std::string path = write("open.pem", pem, 0640);
  EXPECT_FALSE(PrivateKey::load_file(path, false, &error));
  EXPECT_NE(error.find("mode 0640"), std::string::npos) << error;
  EXPECT_TRUE(PrivateKey::load_file(path, true, &error));
}

TEST_F(KeyFiles, NotAKeyIsAClearError) {
  std::string error;
  EXPECT_FALSE(PrivateKey::load_file(write("bad.pem", "hello", 0600), false, &error));
  EXPECT_NE(error.find("not a PEM private key"), std::string::npos);
  EXPECT_FALSE(PrivateKey::load_file((dir_ / "missing").string(), false, &error));
  EXPECT_NE(error.find("cannot read"), std::string::npos);
}

TEST_F(KeyFiles, GeneratedRsaKeyIsPkcs1AndRoundTrips) {
  std::string error;
  auto key = PrivateKey::generate(KeyType::rsa, 1024, &error);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->bits(), 1024u);
  std::string pem = key->to_pem();
  EXPECT_NE(pem.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  auto back = PrivateKey::from_pem(pem, &error);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->key_record(), key->key_record());
}

TEST(PublicKeys, Rfc8463_4_Ed25519KeyIsRaw32Octets) {
  std::string error;
  EXPECT_FALSE(PublicKey::from_record(KeyType::ed25519, std::string(44, 'x'), &error));
  EXPECT_NE(error.find("not 32"), std::string::npos);
  EXPECT_FALSE(PublicKey::from_record(KeyType::rsa, "junk", &error));
}

TEST(Base64, DecodeRulesAndRoundTrip) {
  EXPECT_EQ(*base64_decode("aGVs bG8=\r\n"), "hello");
  EXPECT_EQ(*base64_decode(""), "");
  EXPECT_FALSE(base64_decode("aGVsbG8=x"));
  EXPECT_FALSE(base64_decode("a"));
  EXPECT_FALSE(base64_decode("a==="));
  EXPECT_EQ(*base64_decode(base64_encode(std::string("\0\xff\x10", 3))), std::string("\0\xff\x10", 3));
}

}  // namespace
}  // namespace domainauth::dkim
