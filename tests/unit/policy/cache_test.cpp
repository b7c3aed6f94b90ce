// The per-instance answer cache: hits, least-recently-used eviction, bounds.
#include <gtest/gtest.h>

#include "policy/cache.hpp"

namespace domainauth::policy {
namespace {

TEST(InstanceCache, RemembersAndForgetsLeastRecentlyUsed) {
  InstanceCache cache(2);
  cache.put("a", "DUNNO");
  cache.put("b", "550 5.7.23 no");
  EXPECT_EQ(cache.find("a"), "DUNNO");  // a is now the most recent
  cache.put("c", "PREPEND x");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.find("b"));
  EXPECT_EQ(cache.find("a"), "DUNNO");
  EXPECT_EQ(cache.find("c"), "PREPEND x");
}

TEST(InstanceCache, PutReplacesAnswer) {
  InstanceCache cache(2);
  cache.put("a", "one");
  cache.put("a", "two");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("a"), "two");
}

TEST(InstanceCache, ShrinkingDropsOldest) {
  InstanceCache cache(3);
  for (const char* key : {"a", "b", "c"}) cache.put(key, key);
  cache.set_capacity(1);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("c"), "c");
}

TEST(InstanceCache, ZeroCapacityKeepsNothing) {
  InstanceCache cache(0);
  cache.put("a", "x");
  EXPECT_FALSE(cache.find("a"));
}

}  // namespace
}  // namespace domainauth::policy
