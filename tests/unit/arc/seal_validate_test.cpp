// Sealing and validating round trips over an in-memory resolver: RFC 8617 5.1
// (sealer), 5.1.2 (cv=fail seals only the new set), 5.2 (validator), oldest-pass.
#include <gtest/gtest.h>

#include "arc/sealer.hpp"
#include "arc/validator.hpp"
#include "unit/dkim/dkim_test_util.hpp"

namespace domainauth::arc {
namespace {

const std::string kMessage =
    "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=a@example.com\r\n"
    "From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n"
    "Date: Thu, 14 Jan 2015 15:00:01 -0800\r\n\r\nbody\r\n";

struct World {
  asio::io_context io;
  domainauth::testing::MemoryResolver dns{io.get_executor()};
  dkim::PrivateKey key = *dkim::PrivateKey::generate(dkim::KeyType::rsa, 1024, nullptr);
  World() { dns.add_txt("s._domainkey.example.org", key.key_record()); }

  ChainResult validate(const std::string& message) {
    auto parts = dkim::testing::split(message);
    auto future =
        asio::co_spawn(io, validate_message(dns, {}, std::move(parts.headers), parts.body), asio::use_future);
    io.restart();
    io.run();
    return future.get();
  }
  // Validates the message as received, seals it as forwarded (changed or not)
  // and returns it with the new set on top.
  std::string seal(const std::string& message, std::string* reason = nullptr) { return seal(message, message, reason); }
  std::string seal(const std::string& received, const std::string& message, std::string* reason = nullptr) {
    ChainResult chain = validate(received);
    auto parts = dkim::testing::split(message);
    SealRequest request("example.org", "s", key, "mx.example.org");
    request.now = 1700000000;
    Sealer sealer(std::move(request), parts.headers);
    sealer.body(parts.body);
    SealOutput out = sealer.finish(chain.status);
    if (reason) *reason = out.reason;
    if (!out.sealed()) return message;
    return out.seal + "\r\n" + out.ams + "\r\n" + out.aar + "\r\n" + message;
  }
};

TEST(ArcRoundTrip, Rfc8617_5_2_NoChainIsNone) {
  World w;
  EXPECT_EQ(w.validate(kMessage).status, ChainStatus::none);
}

TEST(ArcRoundTrip, Rfc8617_5_1_SealedChainsPass) {
  World w;
  std::string m = kMessage;
  for (unsigned i = 1; i <= 3; ++i) {
    m = w.seal(m);
    ChainResult r = w.validate(m);
    EXPECT_EQ(r.status, ChainStatus::pass) << i << ": " << r.reason;
    EXPECT_EQ(r.instances, i);
    EXPECT_EQ(r.oldest_pass, 0u);
    EXPECT_EQ(r.seal_domain, "example.org");
  }
  EXPECT_NE(m.find("ARC-Authentication-Results: i=3; mx.example.org;\r\n\tspf=pass"), std::string::npos) << m;
}

// The AAR's authserv-id is written as Authentication-Results writes it (RFC 8601
// 2.2: a value, quoted when it is not a token), not pasted raw.
TEST(ArcRoundTrip, Rfc8617_4_1_1_AarQuotesTheAuthservIdLikeAuthenticationResults) {
  World w;
  auto parts = dkim::testing::split(
      "Authentication-Results: \"mx example.org\"; spf=pass smtp.mailfrom=a@example.com\r\n"
      "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n");
  SealRequest request("example.org", "s", w.key, "mx example.org");
  request.now = 1700000000;
  Sealer sealer(std::move(request), parts.headers);
  sealer.body(parts.body);
  const SealOutput out = sealer.finish(ChainStatus::none);
  ASSERT_TRUE(out.sealed()) << out.reason;
  EXPECT_EQ(out.aar, "ARC-Authentication-Results: i=1; \"mx example.org\";\r\n\tspf=pass smtp.mailfrom=a@example.com");
}

TEST(ArcRoundTrip, Rfc8617_5_2_Step5_OldestPassAfterModification) {
  World w;
  std::string m = w.seal(kMessage);
  // An intermediary validates, changes the subject and seals: AMS(1) breaks,
  // the chain still passes.
  std::string changed = m;
  changed.replace(changed.find("Subject: hi"), 11, "Subject: [list] hi");
  m = w.seal(m, changed);
  ChainResult r = w.validate(m);
  EXPECT_EQ(r.status, ChainStatus::pass) << r.reason;
  EXPECT_EQ(r.oldest_pass, 2u);
}

TEST(ArcRoundTrip, Rfc8617_5_2_Step4_ModifiedAfterSealingFails) {
  World w;
  std::string m = w.seal(kMessage);
  m.replace(m.find("body\r\n"), 6, "changed\r\n");
  ChainResult r = w.validate(m);
  EXPECT_EQ(r.status, ChainStatus::fail);
  EXPECT_NE(r.reason.find("body hash"), std::string::npos) << r.reason;
}

TEST(ArcRoundTrip, Rfc8617_5_1_2_FailedChainSealedAsFailThenNotAgain) {
  World w;
  std::string m = w.seal(kMessage);
  m.replace(m.find("body\r\n"), 6, "changed\r\n");
  m = w.seal(m);  // seals with cv=fail, over its own set only
  EXPECT_NE(m.find("cv=fail"), std::string::npos);
  ChainResult r = w.validate(m);
  EXPECT_EQ(r.status, ChainStatus::fail);  // 5.2 step 2
  std::string reason;
  EXPECT_EQ(w.seal(m, &reason), m);  // 5.1 step 2: nothing more is added
  EXPECT_NE(reason.find("cv=fail"), std::string::npos);
}

TEST(ArcRoundTrip, Rfc8617_5_2_1_DnsFailureIsFail) {
  World w;
  std::string m = w.seal(kMessage);
  World other;  // its resolver has another key under the same name
  EXPECT_EQ(other.validate(m).status, ChainStatus::fail);
  World none;
  none.dns.set_servfail("s._domainkey.example.org");
  ChainResult r = none.validate(m);
  EXPECT_EQ(r.status, ChainStatus::fail);
}

}  // namespace
}  // namespace domainauth::arc
