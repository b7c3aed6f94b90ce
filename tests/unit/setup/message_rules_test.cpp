// The rules of `check --message` (setup/message_rules.hpp): each rule with a
// message that triggers it and one that does not, and the bounded
// List-Unsubscribe reader.
#include <gtest/gtest.h>

#include <string>

#include "setup/message_rules.hpp"

namespace domainauth::setup {
namespace {

constexpr const char* kSignature =
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel;\r\n"
    " h=from:to:subject:list-unsubscribe:list-unsubscribe-post; bh=YmgK; b=c2lnbmF0dXJl";

std::vector<mail::HeaderField> fields(std::initializer_list<std::string> lines) {
  std::vector<mail::HeaderField> out;
  for (const auto& line : lines) out.push_back(*mail::parse_header_field(line));
  return out;
}

// A bulk message that meets every rule: signed (the engine said pass), aligned.
MessageFacts good() {
  MessageFacts f;
  f.headers = fields({kSignature, "From: News <news@example.com>", "To: a@example.net", "Subject: hi",
                      "Date: Mon, 7 Dec 2026 10:00:00 +0000", "Message-ID: <1@example.com>",
                      "List-Unsubscribe: <mailto:u@example.com>, (one-click) <https://example.com/u?t=x>",
                      "List-Unsubscribe-Post: List-Unsubscribe=One-Click"});
  dkim::SignatureResult r;
  r.result = dkim::Result::pass;
  r.domain = "example.com";
  r.b = "c2lnbmF0dXJl";
  f.dkim = {r};
  f.spf_pass = true;
  f.spf_domain = "example.com";
  dmarc::Outcome d;
  d.author_domain = "example.com";
  d.record = dmarc::Record{};
  d.spf = {"example.com", true, true};
  d.dkim = {{"example.com", true, true}};
  f.dmarc = d;
  f.bulk = true;
  return f;
}

Severity severity_of(const MessageFacts& facts, std::string_view id) {
  Report report;
  check_message_rules(facts, report);
  const auto* finding = report.find(id);
  EXPECT_NE(finding, nullptr) << id;
  if (finding && finding->severity != Severity::ok) {
    EXPECT_FALSE(finding->fix.empty()) << id;
  }
  return finding ? finding->severity : Severity::ok;
}

void remove(MessageFacts& f, std::string_view name) {
  std::erase_if(f.headers, [&](const mail::HeaderField& h) { return h.is(name); });
}

TEST(MessageRules, GoodMessageHasNoFinding) {
  Report report;
  check_message_rules(good(), report);
  EXPECT_EQ(report.findings.size(), 8u);
  EXPECT_EQ(report.count(Severity::error) + report.count(Severity::warning) + report.count(Severity::info), 0);
}

TEST(MessageRules, FromMustBeThereOnce) {
  auto f = good();
  f.headers.push_back(*mail::parse_header_field("From: other@example.org"));
  EXPECT_EQ(severity_of(f, "message.from"), Severity::error);
  remove(f, "From");
  EXPECT_EQ(severity_of(f, "message.from"), Severity::error);
}

TEST(MessageRules, MessageIdAndDate) {
  auto f = good();
  remove(f, "Message-ID");
  EXPECT_EQ(severity_of(f, "message.message_id"), Severity::error);
  EXPECT_EQ(severity_of(f, "message.date"), Severity::ok);
  remove(f, "Date");
  EXPECT_EQ(severity_of(f, "message.date"), Severity::error);
}

TEST(MessageRules, ListUnsubscribeRequiredOfBulkOnly) {
  auto f = good();
  remove(f, "List-Unsubscribe");
  remove(f, "List-Unsubscribe-Post");
  EXPECT_EQ(severity_of(f, "message.list_unsubscribe"), Severity::error);
  EXPECT_EQ(severity_of(f, "message.list_unsubscribe_post"), Severity::error);
  f.bulk = false;
  EXPECT_EQ(severity_of(f, "message.list_unsubscribe"), Severity::info);
  Report report;
  check_message_rules(f, report);
  EXPECT_EQ(report.find("message.unsubscribe_signed"), nullptr);  // nothing to sign
}

TEST(MessageRules, ListUnsubscribeNeedsHttpsAndSyntax) {
  auto f = good();
  remove(f, "List-Unsubscribe");
  f.headers.push_back(*mail::parse_header_field("List-Unsubscribe: <mailto:u@example.com>"));
  EXPECT_EQ(severity_of(f, "message.list_unsubscribe"), Severity::error);
  remove(f, "List-Unsubscribe");
  f.headers.push_back(*mail::parse_header_field("List-Unsubscribe: https://example.com/u"));
  EXPECT_EQ(severity_of(f, "message.list_unsubscribe"), Severity::error);
}

TEST(MessageRules, ListUnsubscribePostValue) {
  auto f = good();
  remove(f, "List-Unsubscribe-Post");
  EXPECT_EQ(severity_of(f, "message.list_unsubscribe_post"), Severity::error);
  f.headers.push_back(*mail::parse_header_field("List-Unsubscribe-Post: List-Unsubscribe=Yes"));
  EXPECT_EQ(severity_of(f, "message.list_unsubscribe_post"), Severity::error);
}

TEST(MessageRules, UnsubscribeFieldsMustBeSigned) {
  auto f = good();
  f.headers[0] = *mail::parse_header_field(
      "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=YmgK; b=c2lnbmF0dXJl");
  EXPECT_EQ(severity_of(f, "message.unsubscribe_signed"), Severity::error);
  f = good();
  f.dkim[0].result = dkim::Result::fail;  // in h=, but the signature does not verify
  EXPECT_EQ(severity_of(f, "message.unsubscribe_signed"), Severity::error);
}

TEST(MessageRules, DkimAlignment) {
  auto f = good();
  f.dmarc->dkim = {{"esp.example.net", true, false}};
  EXPECT_EQ(severity_of(f, "message.dkim_aligned"), Severity::error);
  f.dmarc->record.reset();
  EXPECT_EQ(severity_of(f, "message.dkim_aligned"), Severity::warning);
  f.dkim.clear();
  EXPECT_EQ(severity_of(f, "message.dkim_aligned"), Severity::error);
}

TEST(MessageRules, SpfAlignment) {
  auto f = good();
  f.dmarc->spf = {"bounces.example.net", true, false};
  EXPECT_EQ(severity_of(f, "message.spf_aligned"), Severity::warning);
  f.spf_pass = false;
  EXPECT_EQ(severity_of(f, "message.spf_aligned"), Severity::error);
}

TEST(ListUnsubscribe, Parses) {
  auto l = parse_list_unsubscribe("<mailto:a@b.example?subject=x> (c (nested)), < https://b.example/u\r\n ?x=1 >");
  ASSERT_EQ(l.error, "");
  EXPECT_EQ(l.uris, (std::vector<std::string>{"mailto:a@b.example?subject=x", "https://b.example/u?x=1"}));
  EXPECT_TRUE(l.has_scheme("HTTPS"));
  EXPECT_FALSE(l.has_scheme("http"));
}

TEST(ListUnsubscribe, RefusesBadAndUnbounded) {
  for (const char* bad : {"", "<", "<https://x>,", "<https://x> junk", "<no-scheme>", "<https://x> (unclosed",
                          "(((((((((((deep)))))))))) <https://x>", "<:x>"}) {
    auto l = parse_list_unsubscribe(bad);
    EXPECT_NE(l.error, "") << bad;
    EXPECT_TRUE(l.uris.empty()) << bad;
  }
  std::string many;
  for (std::size_t i = 0; i <= kMaxListUnsubscribeUris; ++i) many += "<https://x/" + std::to_string(i) + ">,";
  many.pop_back();
  EXPECT_NE(parse_list_unsubscribe(many).error.find("more than"), std::string::npos);
  EXPECT_NE(parse_list_unsubscribe("<https://x/" + std::string(kMaxListUnsubscribeBytes, 'a') + ">").error.find("longer"),
            std::string::npos);
}

}  // namespace
}  // namespace domainauth::setup
