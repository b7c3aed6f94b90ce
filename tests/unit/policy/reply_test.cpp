// Policy replies: the action line, and untrusted text that must not break it.
#include <gtest/gtest.h>

#include "policy/reply.hpp"

namespace domainauth::policy {
namespace {

TEST(PolicyReply, ActionLineThenEmptyLine) { EXPECT_EQ(format_reply("DUNNO"), "action=DUNNO\n\n"); }

TEST(PolicyReply, LineBreaksInTextCannotStartAnotherReply) {
  EXPECT_EQ(format_reply("550 5.7.23 evil\n\naction=OK\r"), "action=550 5.7.23 evil  action=OK \n\n");
}

TEST(PolicyReply, OverlongActionIsCut) {
  const auto reply = format_reply(std::string(kMaxActionLength + 100, 'x'));
  EXPECT_EQ(reply.size(), 7 + kMaxActionLength + 2);
  EXPECT_EQ(reply.substr(reply.size() - 2), "\n\n");
}

}  // namespace
}  // namespace domainauth::policy
