// engine::MessageCheck's Conclusion, without any front end: the fields added
// top one first (signatures in key order; Authentication-Results above
// Received-SPF above the quarantine mark), forged Authentication-Results
// indexes, the verdict for each DMARC action under enforcement, and hostile
// messages: a forged p=reject From hidden behind a second From, no From, an
// over-long From or a header block over the limits is still judged (rejected
// under enforce, a result and a history row without), and 990
// signatures leave a bounded Authentication-Results with dmarc= in it.
#include "engine/message_check.hpp"

// g++ 12 misreports asio's awaitable frame allocator (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <algorithm>
#include <chrono>

#include "dns/sync.hpp"
#include "support/memory_resolver.hpp"
#include "test_keys.hpp"

namespace domainauth::engine {
namespace {

// The rows handed to the history.
class Rows final : public store::History {
 public:
  void record(store::Row row) override { rows.push_back(std::move(row)); }
  [[nodiscard]] store::HistoryStats stats() const override { return {}; }
  std::vector<store::Row> rows;
};

class Check {
 public:
  explicit Check(const std::string& config_text) {
    auto loaded = config::load_string(config_text, "t.toml");
    EXPECT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors.front());
    auto config = std::make_shared<config::Config>(loaded.config ? *loaded.config : config::defaults());
    config->milter.authserv_id = "mx.test";
    memory = std::make_shared<domainauth::testing::MemoryResolver>(io.get_executor());
    context = std::make_shared<Context>(Context{config, memory, {}, history, nullptr});
  }

  // One message; origin decides signing (internal) or verifying.
  Conclusion run(const std::vector<std::pair<std::string, std::string>>& headers, Origin origin = {},
                 const std::string& ip = "198.51.100.7") {
    Envelope envelope{{net::IpAddress::parse(ip), "client.test", ""}, "client.test", "b@example.com", "Q1"};
    MessageCheck check(context, io.get_executor(), std::move(envelope), origin);
    for (const auto& [name, value] : headers) check.header({name, name + ":" + value});
    check.end_of_headers();
    if (check.wants_body()) check.body("Hello\r\n");
    return dns::run_sync(io, check.conclude());
  }

  asio::io_context io;
  std::shared_ptr<domainauth::testing::MemoryResolver> memory;
  std::shared_ptr<Rows> history = std::make_shared<Rows>();
  std::shared_ptr<Context> context;
};

using Fields = std::vector<std::pair<std::string, std::string>>;

// A p=reject domain whose SPF fails from the client's address.
void reject_domain(Check& c) {
  c.memory->add_txt("example.com", "v=spf1 -all");
  c.memory->add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
}

std::string authres(const Conclusion& c) {
  for (const auto& f : c.added) {
    if (f.is("Authentication-Results")) return f.raw;
  }
  return {};
}

std::vector<std::string> names(const Conclusion& c) {
  std::vector<std::string> out;
  for (const auto& f : c.added) out.push_back(f.name);
  return out;
}

const std::vector<std::pair<std::string, std::string>> kSpoof = {
    {"Authentication-Results", " mx.test; dmarc=pass"}, {"Received", " x"},
    {"Authentication-Results", " mx.test; spf=pass"}, {"From", " a@example.com"}};

TEST(MessageCheck, SignaturesComeTopFirstInKeyOrder) {
  testing::KeyFolder keys;
  Check c(keys.config({{"example.com", "a"}, {"example.com", "b"}}, "multiple_signatures = true\n"));
  const auto out = c.run({{"From", " x@example.com"}, {"Subject", " s"}}, Origin{true, false, false});
  EXPECT_EQ(out.verdict, Verdict::accept);
  ASSERT_EQ(out.added.size(), 2u);
  EXPECT_NE(out.added[0].raw.find("s=a;"), std::string::npos) << out.added[0].raw;
  EXPECT_NE(out.added[1].raw.find("s=b;"), std::string::npos) << out.added[1].raw;
  EXPECT_EQ(out.outcome, "role=sign signed=example.com/a,example.com/b");
}

TEST(MessageCheck, ForgedResultsRemovedAndOurFieldsOnTopInOrder) {
  Check c("[milter]\nreceived_spf = true\n[dmarc]\nenforce = true\nquarantine_as_header = true\n");
  c.memory->add_txt("example.com", "v=spf1 -all");
  c.memory->add_txt("_dmarc.example.com", "v=DMARC1; p=quarantine");
  const auto out = c.run(kSpoof);
  EXPECT_EQ(out.verdict, Verdict::accept);
  EXPECT_EQ(out.removed_authres, (std::vector<std::uint32_t>{2, 1}));
  EXPECT_EQ(names(out), (std::vector<std::string>{"Authentication-Results", "Received-SPF", "X-DMARC-Quarantine"}));
  EXPECT_EQ(out.added[0].raw.rfind("Authentication-Results: mx.test; spf=fail", 0), 0u) << out.added[0].raw;
}

// dis= is the disposition applied, as OpenDMARC writes it; p= the owner's policy.
TEST(MessageCheck, DisIsTheDispositionApplied) {
  Check report_only("");
  reject_domain(report_only);
  EXPECT_NE(authres(report_only.run({{"From", " ceo@example.com"}})).find("dmarc=fail (p=reject dis=none)"),
            std::string::npos);
  Check marked("[dmarc]\nenforce = true\nnever_reject = true\nquarantine_as_header = true\n");
  reject_domain(marked);
  const auto out = marked.run({{"From", " ceo@example.com"}});
  EXPECT_NE(authres(out).find("dmarc=fail (p=reject dis=quarantine)"), std::string::npos) << authres(out);
  ASSERT_EQ(marked.history->rows.size(), 1u);
  EXPECT_EQ(marked.history->rows[0].disposition, "quarantine");
}

TEST(MessageCheck, EnforcedRejectAndQuarantineAreVerdicts) {
  Check reject("[dmarc]\nenforce = true\n");
  reject.memory->add_txt("example.com", "v=spf1 -all");
  reject.memory->add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  auto out = reject.run(kSpoof);
  EXPECT_EQ(out.verdict, Verdict::reject);
  EXPECT_EQ(out.reply.code, 550u);
  EXPECT_EQ(out.reply.status, "5.7.1");
  ASSERT_TRUE(out.decision);
  EXPECT_EQ(out.decision->action, DmarcAction::reject);

  Check quarantine("[dmarc]\nenforce = true\n");
  quarantine.memory->add_txt("example.com", "v=spf1 -all");
  quarantine.memory->add_txt("_dmarc.example.com", "v=DMARC1; p=quarantine");
  out = quarantine.run(kSpoof);
  EXPECT_EQ(out.verdict, Verdict::quarantine);
  EXPECT_NE(out.quarantine_reason.find("example.com"), std::string::npos);
  EXPECT_EQ(names(out), (std::vector<std::string>{"Authentication-Results"}));
}

TEST(MessageCheck, DnsTemperrorIsATempfailWithNoFieldsAdded) {
  Check c("");
  c.memory->add_txt("example.com", "v=spf1 -all");
  c.memory->set_servfail("_dmarc.example.com");
  const auto out = c.run(kSpoof);
  EXPECT_EQ(out.verdict, Verdict::tempfail);
  EXPECT_EQ(out.reply.code, 451u);
  EXPECT_TRUE(out.added.empty());
}

// The forms of From that DMARC cannot judge as one domain (issue: a forged
// p=reject From was delivered behind them under enforce).
const std::vector<std::pair<std::string, Fields>> kBadFrom = {
    {"two From fields", {{"From", " ceo@example.com"}, {"From", " x@elsewhere.test"}, {"Subject", " s"}}},
    {"two From fields, same order reversed", {{"From", " x@elsewhere.test"}, {"From", " ceo@example.com"}}},
    {"no From field", {{"Sender", " ceo@example.com"}, {"Subject", " s"}}},
    {"From longer than 16 KiB", {{"From", " \"" + std::string(17000, 'a') + "\" <ceo@example.com>"}}},
};

TEST(HostileMessage, BadFromIsRejectedUnderEnforce) {
  for (const auto& [name, headers] : kBadFrom) {
    Check c("[dmarc]\nenforce = true\n");
    reject_domain(c);
    const auto out = c.run(headers);
    EXPECT_EQ(out.verdict, Verdict::reject) << name;
    EXPECT_EQ(out.reply.code, 550u) << name;
    EXPECT_EQ(out.reply.status, "5.7.1") << name;
    EXPECT_NE(out.reply.text.find("From"), std::string::npos) << name << ": " << out.reply.text;
    ASSERT_TRUE(out.results.dmarc) << name;
    EXPECT_EQ(out.results.dmarc->result, dmarc::Result::permerror) << name;
  }
}

TEST(HostileMessage, BadFromIsReportedNotEnforcedWithoutEnforce) {
  for (const auto& [name, headers] : kBadFrom) {
    Check c("");
    reject_domain(c);
    const auto out = c.run(headers);
    EXPECT_EQ(out.verdict, Verdict::accept) << name;
    EXPECT_NE(authres(out).find("dmarc=permerror"), std::string::npos) << name << ": " << authres(out);
    ASSERT_TRUE(out.decision) << name;
    EXPECT_EQ(out.decision->skipped, "report-only") << name;
  }
}

TEST(HostileMessage, RepeatedFromStillWritesTheDomainOwnersHistoryRow) {
  Check c("");
  reject_domain(c);
  const auto out = c.run(kBadFrom[0].second);
  EXPECT_NE(authres(out).find("dmarc=permerror (p=reject"), std::string::npos) << authres(out);
  EXPECT_NE(authres(out).find("header.from=example.com"), std::string::npos) << authres(out);
  ASSERT_EQ(c.history->rows.size(), 1u);
  EXPECT_EQ(c.history->rows[0].policy_domain, "example.com");
  EXPECT_EQ(c.history->rows[0].disposition, "none");  // report-only: nothing applied
}

TEST(HostileMessage, HeaderBlockOverTheLimitsIsStillJudgedByDmarc) {
  for (const std::string limit : {"max_headers = 5\n", "max_header_bytes = 200\n"}) {
    Check c("[milter]\n" + limit + "[dmarc]\nenforce = true\n");
    reject_domain(c);
    Fields headers = {{"From", " ceo@example.com"}};
    for (int i = 0; i < 10; ++i) headers.push_back({"X-Filler", " " + std::string(30, 'x')});
    const auto out = c.run(headers);
    EXPECT_EQ(out.verdict, Verdict::reject) << limit;
    ASSERT_TRUE(out.results.dmarc) << limit;
    EXPECT_EQ(out.results.dmarc->result, dmarc::Result::fail) << limit;
    EXPECT_EQ(out.results.dkim_error, "header block over the configured limits") << limit;
    EXPECT_EQ(c.history->rows.size(), 1u) << limit;
  }
  Check report_only("[milter]\nmax_headers = 5\n");
  reject_domain(report_only);
  Fields headers = {{"From", " ceo@example.com"}};
  for (int i = 0; i < 10; ++i) headers.push_back({"X-Filler", " x"});
  const auto out = report_only.run(headers);
  EXPECT_EQ(out.verdict, Verdict::accept);
  EXPECT_NE(authres(out).find("dmarc=fail (p=reject"), std::string::npos) << authres(out);
  EXPECT_EQ(report_only.history->rows.size(), 1u);
}

TEST(HostileMessage, NineHundredNinetySignaturesGiveABoundedFieldWithDmarc) {
  Check c("[verify]\nmax_signatures = 100\n");
  reject_domain(c);
  Fields headers = {{"From", " ceo@example.com"}};
  const std::string prefix(300, 'A');  // every b= shares 300 characters
  for (int i = 0; i < 990; ++i) {
    headers.push_back({"DKIM-Signature", " v=1; a=rsa-sha256; d=example.com; s=s" + std::to_string(i) +
                                             "; h=from; bh=AAAA; b=" + prefix + std::to_string(i)});
  }
  const auto start = std::chrono::steady_clock::now();
  const auto out = c.run(headers);
  const auto took = std::chrono::steady_clock::now() - start;
  const auto field = authres(out);
  EXPECT_LT(field.size(), 16384u);
  EXPECT_NE(field.find("dmarc=fail"), std::string::npos);
  EXPECT_NE(field.find("beyond verify.max_signatures, not checked"), std::string::npos) << field;
  EXPECT_EQ(out.results.dkim.size(), 990u);
  // Generous for a loaded 2-core machine under sanitizers; the quadratic
  // header.b took 1.3 s of CPU in a release build for 990 such signatures, and
  // the field listing each of them was 1.1 MB.
  EXPECT_LT(took, std::chrono::seconds(20));
}

// OpenDMARC's IgnoreMailFrom accepts such mail before evaluating it: no dmarc=
// result misleads the filters downstream, no history row, no enforcement, and
// no spf= from the self-validation that is part of that evaluation (the seed
// parity e2e test compares this with OpenDMARC).
TEST(MessageCheck, IgnoreMailFromLeavesDmarcOutEntirely) {
  Check c("[dmarc]\nenforce = true\nignore_mail_from = [\"example.com\"]\n");
  reject_domain(c);
  const auto out = c.run({{"From", " ceo@example.com"}});
  EXPECT_EQ(out.verdict, Verdict::accept);
  EXPECT_FALSE(out.results.dmarc);
  EXPECT_FALSE(out.decision);
  EXPECT_EQ(authres(out).find("dmarc="), std::string::npos) << authres(out);
  EXPECT_EQ(authres(out).find("spf="), std::string::npos) << authres(out);
  EXPECT_NE(authres(out).find("dkim=none"), std::string::npos) << authres(out);
  EXPECT_TRUE(c.history->rows.empty());
  EXPECT_NE(out.outcome.find("dmarc_skipped=ignore-mail-from"), std::string::npos) << out.outcome;
}

// OpenDMARC's RequiredHeaders (opendmarc.c, mlfi_eom): exactly one From and
// Date, at most one of eight others, a From with a domain.
TEST(MessageCheck, RequiredHeadersRejectsWhatOpenDmarcRejects) {
  const Fields good = {{"From", " a@example.org"}, {"Date", " Mon, 7 Dec 2026 10:00:00 +0000"},
                       {"To", " b@example.net"}, {"Subject", " s"}};
  auto with = [&good](std::pair<std::string, std::string> extra) {
    Fields f = good;
    f.push_back(std::move(extra));
    return f;
  };
  const std::vector<std::pair<Fields, std::string>> cases = {
      {{{"From", " a@example.org"}, {"Subject", " s"}}, "no Date field"},
      {{{"Date", " Mon, 7 Dec 2026 10:00:00 +0000"}}, "no From field"},
      {with({"From", " c@example.org"}), "2 From fields"},
      {with({"Date", " Tue, 8 Dec 2026 10:00:00 +0000"}), "2 Date fields"},
      {with({"Reply-To", " r@example.org"}), ""},  // one is fine
      {with({"to", " c@example.net"}), "2 To fields"},
      {with({"CC", " c@example.net"}), ""},
      {with({"Subject", " again"}), "2 Subject fields"},
      {{{"From", " undisclosed-recipients:;"}, {"Date", " Mon, 7 Dec 2026 10:00:00 +0000"}},
       "a From field with no usable domain"},
  };
  for (const auto& [headers, problem] : cases) {
    Check c("[dmarc]\nrequired_headers = true\n");
    const auto out = c.run(headers);
    if (problem.empty()) {
      EXPECT_EQ(out.verdict, Verdict::accept) << out.reply.text;
      continue;
    }
    EXPECT_EQ(out.verdict, Verdict::reject) << problem;
    EXPECT_EQ(out.reply.code, 550u);
    EXPECT_EQ(out.reply.status, "5.7.1");
    EXPECT_EQ(out.reply.text, "Message rejected: " + problem + " (RFC 5322 3.6)");
    EXPECT_TRUE(c.history->rows.empty());
  }
  // Off by default; never for internal clients.
  Check off("");
  EXPECT_EQ(off.run({{"From", " a@example.org"}}).verdict, Verdict::accept);
  Check internal("[dmarc]\nrequired_headers = true\n");
  EXPECT_EQ(internal.run({{"From", " a@example.org"}}, Origin{true, false, false}).verdict, Verdict::accept);
}

// An internal host's mail that no key signs (OpenDKIM: neither signed nor
// verified; OpenDMARC: the connection is ignored) gets no result and no history
// row: our own outgoing mail must not turn up in a report to its From domain.
// An authenticated client's likewise, unless dmarc.ignore_authenticated_clients
// is off.
TEST(MessageCheck, OriginatorsMailWithoutAKeyIsNotJudged) {
  Check c("");
  reject_domain(c);
  const auto internal = c.run({{"From", " ceo@example.com"}}, Origin{true, false, false});
  EXPECT_EQ(internal.verdict, Verdict::accept);
  EXPECT_TRUE(internal.added.empty());
  EXPECT_FALSE(internal.results.dmarc);
  EXPECT_NE(internal.outcome.find("role=originator not_judged=internal-client"), std::string::npos)
      << internal.outcome;
  const auto authenticated = c.run({{"From", " ceo@example.com"}}, Origin{false, true, false});
  EXPECT_TRUE(authenticated.added.empty());
  EXPECT_TRUE(c.history->rows.empty());
  Check judged("[dmarc]\nignore_authenticated_clients = false\n");
  reject_domain(judged);
  const auto evaluated = judged.run({{"From", " ceo@example.com"}}, Origin{false, true, false});
  EXPECT_NE(authres(evaluated).find("dmarc=fail"), std::string::npos) << authres(evaluated);
  EXPECT_EQ(judged.history->rows.size(), 1u);
}

TEST(MessageCheck, DmarcDiscoveryIsAskedForAtEndOfHeadersAllAtOnce) {
  Check c("");
  Envelope envelope{{net::IpAddress::parse("198.51.100.7"), "client.test", ""}, "client.test",
                    "b@bounce.mail.example.org", ""};
  MessageCheck check(c.context, c.io.get_executor(), std::move(envelope), Origin{});
  check.header({"From", "From: a@x.y.example.com"});
  check.end_of_headers();
  // Before end of message: every name of both tree walks (RFC 9989 4.10) is asked.
  const auto& log = c.memory->log();
  for (const char* name : {"_dmarc.x.y.example.com/TXT", "_dmarc.y.example.com/TXT", "_dmarc.example.com/TXT",
                           "_dmarc.com/TXT", "_dmarc.bounce.mail.example.org/TXT", "_dmarc.example.org/TXT"}) {
    EXPECT_NE(std::find(log.begin(), log.end(), name), log.end()) << name;
  }
}

TEST(HeaderB, ShortestUniquePrefixAmongNeighbours) {
  Check c("");
  Fields headers = {{"From", " a@example.com"}};
  for (const std::string b : {"AAAAAAAAAAAAxyz1", "AAAAAAAAAAAAxyz2", "BBBBBBBBBBBB", "BBBBBBBBBBBB", "AAAAAAAAAQ"}) {
    headers.push_back({"DKIM-Signature", " v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=" + b});
  }
  const auto field = authres(c.run(headers));
  // header.b=VALUE, then the end of the entry or a space.
  const auto has_b = [&field](const std::string& value) {
    const auto at = field.find("header.b=" + value);
    if (at == std::string::npos) return false;
    const auto end = at + 9 + value.size();
    return end == field.size() || field[end] == ';' || field[end] == ' ' || field[end] == '\r';
  };
  EXPECT_TRUE(has_b("AAAAAAAAAAAAxyz1")) << field;
  EXPECT_TRUE(has_b("AAAAAAAAAAAAxyz2")) << field;
  EXPECT_TRUE(has_b("BBBBBBBB")) << field;  // the same signature twice: no prefix tells them apart
  EXPECT_TRUE(has_b("AAAAAAAAAQ")) << field;
}

}  // namespace
}  // namespace domainauth::engine
