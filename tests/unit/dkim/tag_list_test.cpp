// Unit tests of the DKIM tag-list parser (RFC 6376 3.2).
#include <gtest/gtest.h>

#include "dkim/tag_list.hpp"

namespace domainauth::dkim {
namespace {

TEST(TagList, Rfc6376_3_2_FwsAroundTagsAndValues) {
  auto t = parse_tag_list(" a = 1 ;\r\n\tb=x y ; c= ;");
  ASSERT_TRUE(t.ok()) << t.error;
  ASSERT_EQ(t.tags.size(), 3u);
  EXPECT_EQ(*t.find("a"), "1");
  EXPECT_EQ(*t.find("b"), "x y");
  EXPECT_EQ(*t.find("c"), "");
  EXPECT_FALSE(t.find("d"));
}

TEST(TagList, Rfc6376_3_2_Errors) {
  const struct {
    const char* text;
    const char* why;
  } cases[] = {
      {"a=1; a=2", "appears twice"},
      {"a=1;; b=2", "empty tag-spec"},
      {"novalue; a=1", "has no"},
      {"1a=2", "bad tag name"},
      {"a-b=2", "bad tag name"},
      {"a=\x01", "bad character"},
      {"a=caf\xc3\xa9", "bad character"},
  };
  for (const auto& c : cases) {
    auto t = parse_tag_list(c.text);
    EXPECT_NE(t.error.find(c.why), std::string::npos) << c.text << " -> " << t.error;
  }
}

TEST(TagList, TagNamesAreCaseSensitive) {
  auto t = parse_tag_list("A=1; a=2");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t.find("a"), "2");
}

TEST(TagList, LimitOnTagCount) {
  std::string text;
  for (std::size_t i = 0; i <= kMaxTags; ++i) text += "t" + std::to_string(i) + "=x;";
  EXPECT_NE(parse_tag_list(text).error.find("more than"), std::string::npos);
}

TEST(TagList, SplitListAndStripFws) {
  EXPECT_EQ(split_list("from : to:\r\n subject"), (std::vector<std::string>{"from", "to", "subject"}));
  EXPECT_EQ(strip_fws("ab c\r\n\td"), "abcd");
}

}  // namespace
}  // namespace domainauth::dkim
