// ARC set parsing and structure (RFC 8617 4.1.3, 4.2.1, 5.2 steps 1 and 3).
#include <gtest/gtest.h>

#include "arc/set.hpp"

namespace domainauth::arc {
namespace {

constexpr std::string_view kB = "b=dGVzdA==";

mail::HeaderField field(std::string_view name, const std::string& value) {
  return *mail::parse_header_field(std::string(name) + ": " + value);
}

std::vector<mail::HeaderField> set_of(unsigned i, std::string_view cv = "") {
  std::string n = std::to_string(i);
  std::string status(cv.empty() ? (i == 1 ? "none" : "pass") : cv);
  return {field(kSealField, "i=" + n + "; a=rsa-sha256; cv=" + status + "; d=example.org; s=s; " + std::string(kB)),
          field(kMessageSignatureField, "i=" + n + "; a=rsa-sha256; d=example.org; s=s; h=from; bh=dGVzdA==; " +
                                            std::string(kB)),
          field(kAuthResultsField, "i=" + n + "; mx.example.org; spf=pass")};
}

TEST(ArcSeal, Rfc8617_4_1_3_RequiredTagsAndNoH) {
  struct Case {
    std::string value;
    bool ok;
  };
  const std::string base = "a=rsa-sha256; cv=none; d=example.org; s=s; " + std::string(kB);
  for (const auto& c : std::vector<Case>{
           {"i=1; " + base, true},
           {"i=1; " + base + "; t=12345", true},
           {base, false},                                  // no i=
           {"i=0; " + base, false},                        // instances start at 1
           {"i=51; " + base, false},                       // 4.2.1: at most 50
           {"i=x; " + base, false},
           {"i=1; h=from; " + base, false},                // h= is forbidden
           {"i=1; a=rsa-sha256; cv=Pass; d=example.org; s=s; b=dGVzdA==", false},  // values are case-sensitive
           {"i=1; a=rsa-sha256; cv=none; d=example.org; s=s", false},             // no b=
           {"i=1; " + base + "; t=", false},
       }) {
    EXPECT_EQ(parse_seal(c.value).ok(), c.ok) << c.value << ": " << parse_seal(c.value).error;
  }
}

TEST(ArcInstance, Rfc8617_4_1_1_AarStartsWithInstance) {
  EXPECT_EQ(instance_of(field(kAuthResultsField, "i=3; mx.example.org; spf=pass")), 3u);
  EXPECT_EQ(instance_of(field(kAuthResultsField, " i = 3 ; mx.example.org; spf=pass")), 3u);
  EXPECT_FALSE(instance_of(field(kAuthResultsField, "mx.example.org; i=3; spf=pass")));
  EXPECT_FALSE(instance_of(field(kAuthResultsField, "i=3 mx.example.org")));
}

TEST(ArcChain, Rfc8617_5_2_Step1_NoSetsIsNone) {
  std::vector<mail::HeaderField> headers = {field("From", "a@example.org")};
  EXPECT_TRUE(collect_sets(headers).empty());
}

TEST(ArcChain, Rfc8617_5_2_Step3_ContinuousCompleteSets) {
  auto headers = set_of(2);
  auto one = set_of(1);
  headers.insert(headers.end(), one.begin(), one.end());
  Chain chain = collect_sets(headers);
  EXPECT_TRUE(chain.error.empty()) << chain.error;
  ASSERT_EQ(chain.sets.size(), 2u);
  EXPECT_EQ(chain.sets[1].instance, 2u);
  EXPECT_EQ(chain.highest, 2u);

  auto gap = set_of(3);
  gap.insert(gap.end(), one.begin(), one.end());
  EXPECT_NE(collect_sets(gap).error, "");  // 3B: no gaps

  auto twice = set_of(1);
  twice.push_back(one[0]);
  EXPECT_NE(collect_sets(twice).error, "");  // 3A: exactly one of each

  auto missing = set_of(1);
  missing.pop_back();
  EXPECT_NE(collect_sets(missing).error, "");  // 3A: all three
}

TEST(ArcChain, Rfc8617_5_2_Step1_MoreThanFiftySetsFail) {
  std::vector<mail::HeaderField> headers;
  for (unsigned i = 0; i < 3 * kMaxInstances + 1; ++i) headers.push_back(set_of(1)[0]);
  Chain chain = collect_sets(headers);
  EXPECT_NE(chain.error.find("more than 50"), std::string::npos) << chain.error;
}

}  // namespace
}  // namespace domainauth::arc
