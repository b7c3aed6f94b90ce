// MacroTable: macros kept per stage, looked up with or without braces, message
// stages forgotten at the end of a message.
#include <gtest/gtest.h>

#include "milter/macros.hpp"

namespace domainauth::milter {
namespace {

MacroDefinition def(MacroStage stage, std::vector<Macro> macros) { return {stage, std::move(macros)}; }

TEST(MilterMacros, LookupWithOrWithoutBraces) {
  MacroTable table;
  table.define(def(MacroStage::connect, {{"j", "mx.example.org"}, {"{daemon_name}", "smtpd"}}));
  EXPECT_EQ(table.get("j"), "mx.example.org");
  EXPECT_EQ(table.get("{daemon_name}"), "smtpd");
  EXPECT_EQ(table.get("daemon_name"), "smtpd");
  EXPECT_FALSE(table.get("{auth_authen}"));
}

TEST(MilterMacros, LatestStageWinsAndRedefinitionReplaces) {
  MacroTable table;
  table.define(def(MacroStage::mail, {{"i", "OLD"}, {"{auth_authen}", "alice"}}));
  table.define(def(MacroStage::end_of_message, {{"i", "4Xyz"}}));
  EXPECT_EQ(table.get("i"), "4Xyz");
  table.define(def(MacroStage::mail, {{"{mail_addr}", "a@example.org"}}));
  EXPECT_FALSE(table.get("{auth_authen}"));  // the mail stage's set was replaced
  EXPECT_EQ(table.stage(MacroStage::mail).size(), 1u);
}

TEST(MilterMacros, ClearMessageKeepsConnectionStages) {
  MacroTable table;
  table.define(def(MacroStage::connect, {{"{client_addr}", "192.0.2.1"}}));
  table.define(def(MacroStage::helo, {{"{tls_version}", "TLSv1.3"}}));
  table.define(def(MacroStage::rcpt, {{"{rcpt_addr}", "b@example.net"}}));
  table.define(def(MacroStage::end_of_message, {{"i", "4Xyz"}}));
  table.clear_message();
  EXPECT_EQ(table.get("{client_addr}"), "192.0.2.1");
  EXPECT_EQ(table.get("tls_version"), "TLSv1.3");
  EXPECT_FALSE(table.get("i"));
  EXPECT_FALSE(table.get("rcpt_addr"));
  table.clear();
  EXPECT_FALSE(table.get("client_addr"));
}

}  // namespace
}  // namespace domainauth::milter
