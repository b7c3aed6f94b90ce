// Sign -> verify round trips and the verifier's verdicts on tampered and broken
// messages (RFC 6376 6.1, RFC 8301, RFC 8463; results per RFC 8601 2.7.1).
#include <gtest/gtest.h>

#include "dkim/signature.hpp"
#include "unit/dkim/dkim_test_util.hpp"

namespace domainauth::dkim {
namespace {

using testing::World;

const std::string kMessage =
    "From: Joe <joe@example.com>\r\nTo: ann@example.org\r\nSubject: lunch\r\n"
    "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\n"
    "Hi Ann,\r\n\r\n  are we   still on?  \r\n\r\n\r\n";

PrivateKey make_key(KeyType type, unsigned bits = 2048) {
  static std::map<std::pair<KeyType, unsigned>, PrivateKey> cache;
  auto it = cache.find({type, bits});
  if (it == cache.end()) {
    std::string error;
    it = cache.emplace(std::make_pair(type, bits), *PrivateKey::generate(type, bits, &error)).first;
  }
  return it->second;
}

SignRequest request(KeyType type, std::string selector = "sel") {
  return SignRequest("example.com", std::move(selector), make_key(type));
}

void publish(World& w, const SignRequest& r, std::string extra = "") {
  w.dns.add_txt(r.selector + "._domainkey." + r.domain, r.key.key_record() + extra);
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

TEST(SignVerify, RoundTripEveryAlgorithmAndCanonicalization) {
  using C = mail::Canonicalization;
  for (auto type : {KeyType::rsa, KeyType::ed25519}) {
    for (auto hc : {C::simple, C::relaxed}) {
      for (auto bc : {C::simple, C::relaxed}) {
        auto r = request(type);
        r.header_canon = hc;
        r.body_canon = bc;
        World w;
        publish(w, r);
        std::string error;
        auto results = w.verify(testing::sign(kMessage, {r}, &error));
        ASSERT_EQ(error, "");
        ASSERT_EQ(results.size(), 1u);
        EXPECT_EQ(results[0].result, Result::pass) << results[0].reason;
        EXPECT_EQ(results[0].algorithm, type == KeyType::rsa ? "rsa-sha256" : "ed25519-sha256");
      }
    }
  }
}

TEST(SignVerify, RsaAndEd25519SideBySideBothPass) {
  auto rsa = request(KeyType::rsa, "r");
  auto ed = request(KeyType::ed25519, "e");
  World w;
  publish(w, rsa);
  publish(w, ed);
  auto results = w.verify(testing::sign(kMessage, {rsa, ed}));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].result, Result::pass) << results[0].reason;
  EXPECT_EQ(results[1].result, Result::pass) << results[1].reason;
}

TEST(SignVerify, LfInputSignedAndVerifiedAsCrlf) {
  auto r = request(KeyType::ed25519);
  World w;
  publish(w, r);
  std::string lf = testing::sign("From: a@example.com\nSubject: x\n\nbody\n", {r});
  EXPECT_EQ(w.verify(lf)[0].result, Result::pass);
  EXPECT_EQ(w.verify(testing::to_crlf(lf))[0].result, Result::pass);
}

TEST(SignVerify, StreamedBodyAndEarlyKeyLookups) {
  auto r = request(KeyType::rsa);
  World w;
  publish(w, r);
  auto parts = testing::split(testing::sign(kMessage, {r}));
  Verifier v(w.dns, {}, parts.headers);
  ASSERT_EQ(w.dns.log().size(), 1u);  // the lookup started with the headers
  EXPECT_EQ(w.dns.log()[0], "sel._domainkey.example.com/TXT");
  for (char c : parts.body) v.body(std::string_view(&c, 1));
  auto future = asio::co_spawn(w.io, v.finish(), asio::use_future);
  w.io.run();
  EXPECT_EQ(future.get()[0].result, Result::pass);
}

TEST(SignVerify, Tampering_BodyChangedFailsOnBodyHash) {
  auto r = request(KeyType::rsa);
  World w;
  publish(w, r);
  auto results = w.verify(replace(testing::sign(kMessage, {r}), "Hi Ann", "HI Ann"));
  EXPECT_EQ(results[0].result, Result::fail);
  EXPECT_EQ(results[0].reason, "body hash did not verify");
  EXPECT_EQ(results[0].failure, Failure::body_hash);
}

TEST(SignVerify, Tampering_SignedHeaderChangedFailsOnSignature) {
  auto r = request(KeyType::ed25519);
  World w;
  publish(w, r);
  auto results = w.verify(replace(testing::sign(kMessage, {r}), "Subject: lunch", "Subject: dinner"));
  EXPECT_EQ(results[0].result, Result::fail);
  EXPECT_EQ(results[0].reason, "signature did not verify");
  EXPECT_EQ(results[0].failure, Failure::signature);
}

TEST(SignVerify, Tampering_UnsignedHeaderAddedStillPasses) {
  auto r = request(KeyType::ed25519);
  World w;
  publish(w, r);
  EXPECT_EQ(w.verify("X-Spam: no\r\n" + testing::sign(kMessage, {r}))[0].result, Result::pass);
}

// RFC 6376 8.15: without oversigning an added From above the signed one is not
// noticed (h= picks fields bottom-up); oversigning From makes it fail.
TEST(SignVerify, Rfc6376_8_15_FromAddedAboveFailsWhenOversigned) {
  for (bool oversign : {true, false}) {
    auto r = request(KeyType::rsa);
    if (!oversign) r.oversign.clear();
    World w;
    publish(w, r);
    auto results = w.verify("From: evil@example.net\r\n" + testing::sign(kMessage, {r}));
    if (oversign) {
      EXPECT_EQ(results[0].result, Result::fail);
      EXPECT_EQ(results[0].reason, "signature did not verify");
    } else {
      EXPECT_EQ(results[0].result, Result::pass);
    }
  }
}

TEST(SignVerify, Rfc6376_6_1_1_UnknownAlgorithmIsPermerror) {
  auto r = request(KeyType::rsa);
  World w;
  publish(w, r);
  auto results = w.verify(replace(testing::sign(kMessage, {r}), "a=rsa-sha256", "a=rsa-sha512"));
  EXPECT_EQ(results[0].result, Result::permerror);
  EXPECT_EQ(results[0].reason, "unsupported algorithm a=rsa-sha512");
  EXPECT_TRUE(w.dns.log().empty());  // no lookup for an unusable signature
}

TEST(SignVerify, Rfc6376_6_1_2_KeyProblems) {
  const struct {
    const char* name;
    std::function<void(World&, const SignRequest&)> setup;
    Result want;
    const char* reason;
    Failure failure;  // the RFC 6651 rr= class
  } cases[] = {
      {"revoked", [](World& w, const SignRequest& r) { w.dns.add_txt(r.selector + "._domainkey.example.com", "v=DKIM1; p="); },
       Result::permerror, "key revoked", Failure::revoked},
      {"missing", [](World&, const SignRequest&) {}, Result::permerror, "no key for signature (nxdomain)", Failure::dns},
      {"nodata", [](World& w, const SignRequest& r) { w.dns.add_name(r.selector + "._domainkey.example.com"); },
       Result::permerror, "no key for signature (nodata)", Failure::dns},
      {"timeout", [](World& w, const SignRequest& r) { w.dns.set_timeout(r.selector + "._domainkey.example.com"); },
       Result::temperror, "key lookup: timeout", Failure::none},
      {"servfail", [](World& w, const SignRequest& r) { w.dns.set_servfail(r.selector + "._domainkey.example.com"); },
       Result::temperror, "key lookup: servfail", Failure::none},
      {"bogus", [](World& w, const SignRequest& r) {
         publish(w, r);
         w.dns.set_dnssec(r.selector + "._domainkey.example.com", dns::Dnssec::bogus);
       },
       Result::temperror, "key record failed DNSSEC validation", Failure::none},
      {"wrong type", [](World& w, const SignRequest& r) {
         w.dns.add_txt(r.selector + "._domainkey.example.com", "v=DKIM1; k=ed25519; p=" + base64_encode(std::string(32, 'x')));
       },
       Result::permerror, "key type does not match a=", Failure::other},
      {"hash not allowed", [](World& w, const SignRequest& r) { publish(w, r, "; h=sha1"); }, Result::permerror,
       "key h= does not allow the hash of a=", Failure::other},
      {"garbage", [](World& w, const SignRequest& r) { w.dns.add_txt(r.selector + "._domainkey.example.com", "hello"); },
       Result::permerror, "key record syntax: tag \"hello\" has no \"=\"", Failure::dns},
  };
  for (const auto& c : cases) {
    auto r = request(KeyType::rsa);
    World w;
    c.setup(w, r);
    auto results = w.verify(testing::sign(kMessage, {r}));
    EXPECT_EQ(results[0].result, c.want) << c.name;
    EXPECT_EQ(results[0].reason, c.reason) << c.name;
    EXPECT_EQ(results[0].failure, c.failure) << c.name;
  }
}

TEST(SignVerify, Rfc6376_3_6_1_StrictKeyRefusesSubdomainIdentity) {
  auto r = request(KeyType::ed25519);
  r.identity = "joe@mail.example.com";
  World w;
  publish(w, r, "; t=s");
  auto results = w.verify(testing::sign(kMessage, {r}));
  EXPECT_EQ(results[0].result, Result::permerror);
  EXPECT_EQ(results[0].identity, "joe@mail.example.com");
  World ok;
  publish(ok, r, "; t=y");
  auto testing_key = ok.verify(testing::sign(kMessage, {r}));
  EXPECT_EQ(testing_key[0].result, Result::pass);
  EXPECT_TRUE(testing_key[0].testing);  // t=y reported
}

TEST(SignVerify, Rfc6376_3_5_ExpiredSignatureIsPermerror) {
  auto r = request(KeyType::ed25519);
  r.now = 1000000;
  r.expire_after = 3600;
  World w;
  publish(w, r);
  std::string msg = testing::sign(kMessage, {r});
  VerifyOptions options;
  options.now = 1000000 + 3599;
  EXPECT_EQ(w.verify(msg, options)[0].result, Result::pass);
  options.now = 1000000 + 3601;
  auto results = w.verify(msg, options);
  EXPECT_EQ(results[0].result, Result::permerror);
  EXPECT_EQ(results[0].reason, "signature expired");
  EXPECT_EQ(results[0].failure, Failure::expired);
}

// RFC 6651 3.1: the signer writes r=y when asked, the verifier reports it, and a
// signature without it asks for nothing; r= is covered by the signature.
TEST(SignVerify, Rfc6651_3_1_ReportsRequested) {
  auto r = request(KeyType::ed25519);
  World w;
  publish(w, r);
  const std::string plain = testing::sign(kMessage, {r});
  EXPECT_EQ(plain.find(" r=y;"), std::string::npos);
  EXPECT_FALSE(w.verify(plain)[0].reports_requested);
  r.request_reports = true;
  const std::string asking = testing::sign(kMessage, {r});
  EXPECT_NE(asking.find(" r=y;"), std::string::npos);
  auto results = w.verify(asking);
  EXPECT_EQ(results[0].result, Result::pass) << results[0].reason;
  EXPECT_TRUE(results[0].reports_requested);
  EXPECT_EQ(results[0].failure, Failure::none);
  auto removed = w.verify(replace(asking, " r=y;", ""));
  EXPECT_EQ(removed[0].result, Result::fail);
  EXPECT_FALSE(removed[0].reports_requested);
}

TEST(SignVerify, Rfc8301_3_2_ShortRsaKeyRefused) {
  SignRequest r("example.com", "short", make_key(KeyType::rsa, 512));
  World w;
  publish(w, r);
  std::string msg = testing::sign(kMessage, {r});
  auto results = w.verify(msg);
  EXPECT_EQ(results[0].result, Result::policy);
  EXPECT_EQ(results[0].reason, "RSA key of 512 bits is too short (RFC 8301)");
  VerifyOptions legacy;
  legacy.min_rsa_bits = 512;
  EXPECT_EQ(w.verify(msg, legacy)[0].result, Result::pass);
}

// A signature made by hand with rsa-sha1 (the signer only makes RFC 8301 algorithms).
TEST(SignVerify, Rfc8301_3_1_RsaSha1RefusedUnlessAllowed) {
  auto r = request(KeyType::rsa);
  auto parts = testing::split(kMessage);
  Signature s;
  s.algorithm = Algorithm::rsa_sha1;
  s.domain = "example.com";
  s.selector = "sel";
  s.headers = {"from", "subject"};
  mail::BodyHasher bh(mail::Canonicalization::simple, mail::DigestAlgorithm::sha1, {});
  bh.feed(parts.body);
  s.bh = bh.finish();
  auto field = *mail::parse_header_field(format_signature(s, false));
  s.b = r.key.sign(s.algorithm, header_hash_input(parts.headers, s.headers, s.header_canon, field));
  std::string msg = format_signature(s, false) + "\r\n" + kMessage;
  World w;
  publish(w, r);
  auto results = w.verify(msg);
  EXPECT_EQ(results[0].result, Result::policy);
  VerifyOptions legacy;
  legacy.allow_rsa_sha1 = true;
  EXPECT_EQ(w.verify(msg, legacy)[0].result, Result::pass) << w.verify(msg, legacy)[0].reason;
}

TEST(SignVerify, SignatureCapLeavesTheRestUnchecked) {
  auto r = request(KeyType::ed25519);
  World w;
  publish(w, r);
  VerifyOptions options;
  options.max_signatures = 2;
  auto results = w.verify(testing::sign(kMessage, {r, r, r}), options);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[1].result, Result::pass);
  EXPECT_EQ(results[2].result, Result::policy);
  EXPECT_EQ(w.dns.log().size(), 1u);  // one lookup shared by both checked signatures
}

TEST(SignVerify, DnssecStatusOfKeyReported) {
  auto r = request(KeyType::ed25519);
  World w;
  publish(w, r);
  w.dns.set_dnssec("sel._domainkey.example.com", dns::Dnssec::secure);
  auto results = w.verify(testing::sign(kMessage, {r}));
  EXPECT_EQ(results[0].result, Result::pass);
  EXPECT_EQ(results[0].key_dnssec, dns::Dnssec::secure);
}

TEST(SignVerify, SignerRefusesMessageWithoutFrom) {
  std::string error;
  testing::sign("Subject: x\r\n\r\nbody\r\n", {request(KeyType::ed25519)}, &error);
  EXPECT_NE(error.find("no From"), std::string::npos);
}

TEST(SignVerify, DefaultHeaderListAndOversigning) {
  auto r = request(KeyType::ed25519);
  auto parts = testing::split(testing::sign(kMessage, {r}));
  auto sig = parse_signature(parts.headers[0].value());
  ASSERT_TRUE(sig.ok()) << sig.error;
  EXPECT_EQ(sig.signature.headers,
            (std::vector<std::string>{"from", "from", "subject", "date", "to", "message-id"}));
  EXPECT_TRUE(sig.signature.timestamp);
  EXPECT_FALSE(sig.signature.expiration);
  EXPECT_EQ(sig.signature.header_canon, mail::Canonicalization::relaxed);
  EXPECT_EQ(sig.signature.body_canon, mail::Canonicalization::relaxed);
}

}  // namespace
}  // namespace domainauth::dkim
