// The engine's milter front end driven as the session drives it (a fake session: macro
// table, negotiated steps, the in-memory resolver): internal and SASL clients
// get a DKIM-Signature that verifies; outside mail gets Authentication-Results
// with spf, dkim and dmarc and loses forged ones; DNS temperror and internal
// errors give the configured action; header limits; the DNS deadline bounds
// the wait at end of message.
#include "milter/engine_handler.hpp"
#include "engine/message_check.hpp"

// g++ 12 misreports asio's awaitable frame allocator as mismatched new/delete
// in the test's driving coroutine (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <mutex>

#include "arc/sealer.hpp"
#include "arc/validator.hpp"
#include "dkim/signer.hpp"
#include "engine/failure_reporter.hpp"
#include "dkim/verifier.hpp"
#include "dns/sync.hpp"
#include "unit/engine/silent_resolver.hpp"
#include "unit/engine/test_keys.hpp"
#include "support/memory_resolver.hpp"
#include "support/temp_dir.hpp"

namespace domainauth::engine {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Mail {
  std::string ip = "192.0.2.1";
  std::string hostname = "mail.example.com";
  std::string helo = "mail.example.com";
  std::string sender = "<bounce@example.com>";
  std::string auth_user;
  Fields headers;
  std::string body = "Hello\r\n";
  bool header_before_mail = false;
};

struct Outcome {
  milter::EndOfMessageResult eom;
  bool body_skipped = false;
  std::chrono::steady_clock::duration eom_took{};

  [[nodiscard]] std::vector<milter::InsertHeader> inserted() const {
    std::vector<milter::InsertHeader> out;
    for (const auto& m : eom.modifications) {
      if (const auto* i = std::get_if<milter::InsertHeader>(&m)) out.push_back(*i);
    }
    return out;
  }
  // The value of the inserted field called name, unfolded.
  [[nodiscard]] std::string inserted(const std::string& name) const {
    for (const auto& i : inserted()) {
      if (i.name != name) continue;
      std::string text = i.value;
      for (std::size_t p; (p = text.find("\n\t")) != std::string::npos;) text.replace(p, 2, " ");
      return text;
    }
    return {};
  }
};

class Harness {
 public:
  explicit Harness(const std::string& config_text, std::shared_ptr<dns::Resolver> resolver = nullptr) {
    auto loaded = config::load_string(config_text, "t.toml");
    EXPECT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors.front());
    config = std::make_shared<config::Config>(loaded.config ? *loaded.config : config::defaults());
    config->milter.authserv_id = "mx.test";
    memory = std::make_shared<domainauth::testing::MemoryResolver>(io.get_executor());
    negotiated.steps = milter::Step::header_leading_space;
    context = std::make_shared<engine::Context>(
        engine::Context{config, resolver ? resolver : memory, pool.get_executor(), nullptr, nullptr});
  }

  Outcome send(const Mail& mail) {
    auto handler = milter::make_engine_handler(context, {macros, negotiated, "test", io.get_executor()});
    return dns::run_sync(io, drive(*handler, mail));
  }

  asio::awaitable<Outcome> drive(milter::MessageHandler& handler, const Mail& mail) {
    Outcome out;
    milter::Connect connect{mail.hostname, milter::Family::inet, 25, mail.ip, net::IpAddress::parse(mail.ip)};
    (void)handler.on_connect(connect);
    (void)handler.on_helo(milter::Helo{mail.helo});
    if (mail.header_before_mail) (void)handler.on_header(milter::Header{"X", " y"});
    macros.clear_message();
    if (!mail.auth_user.empty()) {
      macros.define(milter::MacroDefinition{milter::MacroStage::mail, {{"{auth_authen}", mail.auth_user}}});
    }
    milter::MailFrom from;
    from.address = mail.sender;
    (void)handler.on_mail_from(from);
    for (const auto& [name, value] : mail.headers) (void)handler.on_header(milter::Header{name, value});
    (void)handler.on_end_of_headers();
    auto body = handler.on_body(mail.body);
    out.body_skipped = body.verdict == milter::Verdict::skip;
    const auto start = std::chrono::steady_clock::now();
    out.eom = co_await handler.on_end_of_message();
    out.eom_took = std::chrono::steady_clock::now() - start;
    co_return out;
  }

  // The message as it leaves the MTA: inserted fields on top, CRLF folds.
  static std::vector<mail::HeaderField> delivered_headers(const Outcome& out, const Fields& original) {
    std::vector<mail::HeaderField> fields;
    auto crlf = [](std::string v) {
      for (std::size_t p = 0; (p = v.find('\n', p)) != std::string::npos; p += 2) v.insert(p, "\r");
      return v;
    };
    for (const auto& i : out.inserted()) fields.push_back({i.name, i.name + ":" + crlf(i.value)});
    for (const auto& [name, value] : original) fields.push_back({name, name + ":" + crlf(value)});
    return fields;
  }

  asio::io_context io;
  asio::thread_pool pool{1};
  std::shared_ptr<config::Config> config;
  std::shared_ptr<domainauth::testing::MemoryResolver> memory;
  milter::MacroTable macros;
  milter::Negotiated negotiated;
  std::shared_ptr<engine::Context> context;
};

const Fields kExampleJp = {{"From", " Taro <taro@example.jp>"}, {"To", " b@example.org"}, {"Subject", " test"}};

TEST(MilterHandler, InternalClientMailIsSignedAndVerifies) {
  testing::KeyFolder keys;
  Harness h(keys.config({{"example.jp", "20230320"}}, "canonicalization = \"simple/simple\"\n"));
  h.memory->add_txt("20230320._domainkey.example.jp", keys.record("example.jp-20230320"));
  Mail mail;
  mail.ip = "127.0.0.1";
  mail.headers = kExampleJp;
  const auto out = h.send(mail);
  EXPECT_EQ(out.eom.reply.verdict, milter::Verdict::continue_);
  const auto signature = out.inserted("DKIM-Signature");
  ASSERT_FALSE(signature.empty());
  EXPECT_EQ(out.inserted().size(), 1u);
  EXPECT_NE(signature.find("c=simple/simple"), std::string::npos) << signature;
  EXPECT_TRUE(out.inserted("Authentication-Results").empty());  // originators' mail is signed, not judged
  auto results = dns::run_sync(
      h.io, dkim::verify_message(*h.memory, {}, Harness::delivered_headers(out, mail.headers), mail.body));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].result, dkim::Result::pass) << results[0].reason;
  EXPECT_EQ(results[0].domain, "example.jp");
}

TEST(MilterHandler, SaslAuthenticatedOutsideClientIsSigned) {
  testing::KeyFolder keys;
  Harness h(keys.config({{"example.jp", "s"}}));
  Mail mail;
  mail.ip = "198.51.100.9";
  mail.auth_user = "taro";
  mail.headers = kExampleJp;
  EXPECT_FALSE(h.send(mail).inserted("DKIM-Signature").empty());
  mail.auth_user.clear();
  const auto unsigned_out = h.send(mail);
  EXPECT_TRUE(unsigned_out.inserted("DKIM-Signature").empty());
  EXPECT_FALSE(unsigned_out.inserted("Authentication-Results").empty());
}

TEST(MilterHandler, OutsideMailGetsAuthenticationResultsAndLosesForgedOnes) {
  testing::KeyFolder keys;
  Harness h("");
  h.memory->add_txt("example.com", "v=spf1 ip4:192.0.2.1 -all");
  h.memory->add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  h.memory->add_txt("s1._domainkey.example.com", keys.record("signer"));
  std::string error;
  auto key = dkim::PrivateKey::load_file(keys.key("signer"), false, &error);
  Fields headers = {{"Authentication-Results", " mx.test; dkim=pass header.d=example.com"},
                    {"Authentication-Results", " other.test; spf=pass"},
                    {"From", " a@example.com"},
                    {"Subject", " inbound"}};
  std::vector<mail::HeaderField> fields;
  for (const auto& [n, v] : headers) fields.push_back({n, n + ":" + v});
  dkim::Signer signer({dkim::SignRequest("example.com", "s1", *key)}, fields);
  signer.body("Hello\r\n");
  const auto signature = signer.finish().at(0).field;
  headers.insert(headers.begin(), std::make_pair(std::string("DKIM-Signature"), signature.substr(signature.find(':') + 1)));
  Mail mail;
  mail.headers = headers;
  const auto out = h.send(mail);
  EXPECT_EQ(out.eom.reply.verdict, milter::Verdict::continue_);
  ASSERT_FALSE(out.eom.modifications.empty());
  const auto* removal = std::get_if<milter::ChangeHeader>(&out.eom.modifications.front());
  ASSERT_NE(removal, nullptr);
  EXPECT_EQ(removal->index, 1u);
  EXPECT_EQ(removal->value, "");
  const auto ar = out.inserted("Authentication-Results");
  EXPECT_EQ(ar.rfind(" mx.test; spf=pass smtp.mailfrom=bounce@example.com;", 0), 0u) << ar;
  EXPECT_NE(ar.find("dkim=pass header.d=example.com"), std::string::npos) << ar;
  EXPECT_NE(ar.find("dmarc=pass (p=reject dis=none) header.from=example.com"), std::string::npos) << ar;
  EXPECT_TRUE(out.inserted("Received-SPF").empty());  // milter.received_spf is off by default
}

TEST(MilterHandler, Rfc8617ArcChainIsReportedOnlyWhenPresent) {
  testing::KeyFolder keys;
  Harness h("");
  h.memory->add_txt("example.com", "v=spf1 ip4:192.0.2.1 -all");
  h.memory->add_txt("s1._domainkey.forwarder.example", keys.record("signer"));
  std::string error;
  auto key = dkim::PrivateKey::load_file(keys.key("signer"), false, &error);
  Fields headers = {{"Authentication-Results", " fw.test; spf=pass smtp.mailfrom=example.com"},
                    {"From", " a@example.com"},
                    {"Subject", " forwarded"}};
  std::vector<mail::HeaderField> fields;
  for (const auto& [n, v] : headers) fields.push_back({n, n + ":" + v});
  arc::Sealer sealer(arc::SealRequest("forwarder.example", "s1", *key, "fw.test"), fields);
  sealer.body("Hello\r\n");
  const auto set = sealer.finish(arc::ChainStatus::none);
  ASSERT_TRUE(set.sealed()) << set.reason;
  for (const auto* f : {&set.aar, &set.ams, &set.seal}) {
    headers.insert(headers.begin(), std::make_pair(f->substr(0, f->find(':')), f->substr(f->find(':') + 1)));
  }
  Mail mail;
  mail.headers = headers;
  auto ar = h.send(mail).inserted("Authentication-Results");
  EXPECT_NE(ar.find("; arc=pass"), std::string::npos) << ar;
  mail.body = "Changed\r\n";
  ar = h.send(mail).inserted("Authentication-Results");
  EXPECT_NE(ar.find("; arc=fail reason="), std::string::npos) << ar;
  mail.headers = {{"From", " a@example.com"}};
  ar = h.send(mail).inserted("Authentication-Results");
  EXPECT_EQ(ar.find("; arc="), std::string::npos) << ar;
}

// arc.seal: verified mail leaves with an ARC set over it as delivered (our
// Authentication-Results copied into the AAR, a forged one of our authserv-id
// not), which validates; sealed again at a second hop it is i=2 with cv=pass.
TEST(MilterHandler, Rfc8617_5_1_VerifiedMailIsSealedAndTheChainValidates) {
  domainauth::testing::TempDir dir;
  const auto key_file = dir.key("arc.private", 0600, dkim::KeyType::rsa);
  Harness h("[arc]\nseal = true\ndomain = \"forwarder.example\"\nselector = \"arc\"\nkey = \"" + key_file + "\"\n");
  h.memory->add_txt("arc._domainkey.forwarder.example", h.config->arc.key->key_record());
  h.memory->add_txt("example.com", "v=spf1 ip4:192.0.2.1 -all");
  Mail mail;
  mail.headers = {{"Authentication-Results", " mx.test; dkim=pass header.d=bank.example"},
                  {"From", " a@example.com"},
                  {"To", " list@forwarder.example"},
                  {"Subject", " to be forwarded"}};
  const auto first = h.send(mail);
  EXPECT_EQ(first.eom.reply.verdict, milter::Verdict::continue_);
  const auto names = [](const Outcome& out) {
    std::vector<std::string> n;
    for (const auto& i : out.inserted()) n.push_back(i.name);
    return n;
  };
  // Inserted at the top in this order: the seal ends up first, then AMS, AAR, A-R.
  EXPECT_EQ(names(first), (std::vector<std::string>{"Authentication-Results", "ARC-Authentication-Results",
                                                    "ARC-Message-Signature", "ARC-Seal"}));
  const auto aar = first.inserted("ARC-Authentication-Results");
  EXPECT_EQ(aar.rfind(" i=1; mx.test; spf=pass smtp.mailfrom=bounce@example.com", 0), 0u) << aar;
  EXPECT_EQ(aar.find("bank.example"), std::string::npos) << aar;
  EXPECT_NE(first.inserted("ARC-Seal").find("cv=none"), std::string::npos);
  auto delivered = Harness::delivered_headers(first, mail.headers);
  auto chain = dns::run_sync(h.io, arc::validate_message(*h.memory, {}, delivered, mail.body));
  EXPECT_EQ(chain.status, arc::ChainStatus::pass) << chain.reason;
  EXPECT_EQ(chain.instances, 1u);

  // The second hop: ARC is validated (arc=pass) and the new set says cv=pass.
  Fields forwarded;
  for (const auto& field : delivered) forwarded.emplace_back(field.name, std::string(field.raw.substr(field.name.size() + 1)));
  mail.headers = forwarded;
  const auto second = h.send(mail);
  EXPECT_NE(second.inserted("Authentication-Results").find("; arc=pass"), std::string::npos);
  EXPECT_NE(second.inserted("ARC-Seal").find("i=2; "), std::string::npos) << second.inserted("ARC-Seal");
  EXPECT_NE(second.inserted("ARC-Seal").find("cv=pass"), std::string::npos);
  chain = dns::run_sync(h.io, arc::validate_message(*h.memory, {}, Harness::delivered_headers(second, forwarded),
                                                    mail.body));
  EXPECT_EQ(chain.status, arc::ChainStatus::pass) << chain.reason;
  EXPECT_EQ(chain.instances, 2u);

  // Originators' mail is not sealed (it is DKIM-signed when there is a key).
  mail.auth_user = "taro";
  EXPECT_TRUE(h.send(mail).inserted("ARC-Seal").empty());
}

TEST(MilterHandler, ReceivedSpfWhenConfiguredAndBodySkippedWithoutSignatures) {
  Harness h("[milter]\nreceived_spf = true\n");
  h.memory->add_txt("example.com", "v=spf1 -all");
  Mail mail;
  mail.headers = {{"From", " a@example.com"}};
  const auto out = h.send(mail);
  EXPECT_TRUE(out.body_skipped);
  EXPECT_EQ(out.inserted("Received-SPF").rfind(" fail (", 0), 0u) << out.inserted("Received-SPF");
  EXPECT_NE(out.inserted("Authentication-Results").find("spf=fail"), std::string::npos);
}

TEST(MilterHandler, DnsTemperrorGivesTheConfiguredAction) {
  for (const bool accept : {false, true}) {
    Harness h(accept ? "[milter]\non_dns_error = \"accept\"\n" : "");
    h.memory->set_timeout("example.com");
    Mail mail;
    mail.headers = {{"From", " a@example.com"}};
    const auto out = h.send(mail);
    if (accept) {
      EXPECT_EQ(out.eom.reply.verdict, milter::Verdict::continue_);
      EXPECT_NE(out.inserted("Authentication-Results").find("spf=temperror"), std::string::npos);
    } else {
      EXPECT_EQ(out.eom.reply.verdict, milter::Verdict::smtp_reply);
      EXPECT_EQ(out.eom.reply.smtp.code, 451u);
      EXPECT_EQ(out.eom.reply.smtp.enhanced_status, "4.4.3");
      EXPECT_TRUE(out.eom.modifications.empty());
    }
  }
}

TEST(MilterHandler, InternalErrorGivesTheConfiguredAction) {
  for (const bool accept : {false, true}) {
    Harness h(accept ? "[milter]\non_internal_error = \"accept\"\n" : "");
    Mail mail;
    mail.header_before_mail = true;  // out of order: an internal error, kept for end of message
    mail.headers = {{"From", " a@example.com"}};
    const auto out = h.send(mail);
    EXPECT_TRUE(out.eom.modifications.empty());
    EXPECT_EQ(out.eom.reply.verdict, accept ? milter::Verdict::continue_ : milter::Verdict::smtp_reply);
    if (!accept) {
      EXPECT_EQ(out.eom.reply.smtp.enhanced_status, "4.3.0");
    }
  }
}

TEST(MilterHandler, HeaderLimitGivesDkimPermerrorAndNoSignature) {
  testing::KeyFolder keys;
  Harness h(keys.config({{"example.jp", "s"}}) + "[milter]\nmax_headers = 2\n");
  Mail mail;
  mail.ip = "127.0.0.1";
  mail.headers = kExampleJp;  // three fields
  auto out = h.send(mail);
  EXPECT_TRUE(out.inserted("DKIM-Signature").empty());
  EXPECT_NE(out.inserted("Authentication-Results").find("dkim=permerror"), std::string::npos);
}

TEST(MilterHandler, DeadDnsServerWaitIsBoundedByTheDnsTimeout) {
  auto silent = std::make_shared<testing::SilentResolver>();
  Harness h("[dns]\ntimeout = 0.3\n[milter]\non_dns_error = \"accept\"\n", silent);
  Mail mail;
  mail.headers = {{"From", " a@example.com"},
                  {"DKIM-Signature", " v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=BBBB"}};
  const auto out = h.send(mail);
  EXPECT_GE(out.eom_took, std::chrono::milliseconds(300));
  EXPECT_LT(out.eom_took, std::chrono::milliseconds(1500));
  const auto ar = out.inserted("Authentication-Results");
  EXPECT_NE(ar.find("spf=temperror"), std::string::npos) << ar;
  EXPECT_NE(ar.find("dkim=temperror"), std::string::npos) << ar;
  EXPECT_NE(ar.find("dmarc=temperror"), std::string::npos) << ar;
}

// The Authentication-Results value `domainauth verify` computes
// (check_stored_message) for the same message and envelope, CRLF folds.
std::string stored_authres(Harness& h, const Mail& mail) {
  std::vector<mail::HeaderField> fields;
  for (const auto& [name, value] : mail.headers) fields.push_back({name, name + ":" + value});
  Envelope envelope{{net::IpAddress::parse(mail.ip), mail.hostname, ""}, mail.helo, envelope_address(mail.sender), ""};
  const auto conclusion =
      dns::run_sync(h.io, check_stored_message(h.context, std::move(envelope), std::move(fields), mail.body));
  for (const auto& field : conclusion.added) {
    if (field.is("Authentication-Results")) return std::string(field.value());
  }
  return {};
}

// The inserted field's value as it reaches the message: LF folds -> CRLF.
std::string as_delivered(const Outcome& out, const std::string& name) {
  for (const auto& i : out.inserted()) {
    if (i.name != name) continue;
    std::string value = i.value;
    for (std::size_t p = 0; (p = value.find('\n', p)) != std::string::npos; p += 2) value.insert(p, "\r");
    return value;
  }
  return {};
}

TEST(EngineHandler, VerifyAndTheDaemonAddTheSameAuthenticationResultsByteForByte) {
  testing::KeyFolder keys;
  Harness h("[arc]\n");
  h.memory->add_txt("example.com", "v=spf1 ip4:192.0.2.1 -all");
  h.memory->add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  h.memory->add_txt("_dmarc.example.org", "v=DMARC1; p=quarantine; pct=100");
  h.memory->add_txt("s1._domainkey.example.com", keys.record("signer"));
  std::string error;
  auto key = dkim::PrivateKey::load_file(keys.key("signer"), false, &error);
  ASSERT_TRUE(key) << error;
  const Fields plain = {{"Authentication-Results", " mx.test; dkim=pass header.d=example.com"},
                        {"From", " a@example.com"},
                        {"Subject", " folded\r\n\tsubject"}};
  std::vector<mail::HeaderField> fields;
  for (const auto& [n, v] : plain) fields.push_back({n, n + ":" + v});
  dkim::Signer signer({dkim::SignRequest("example.com", "s1", *key)}, fields);
  signer.body("Hello\r\n");
  const auto signature = signer.finish().at(0).field;
  Fields signed_headers = plain;
  signed_headers.insert(signed_headers.begin(), {"DKIM-Signature", signature.substr(signature.find(':') + 1)});

  std::vector<Mail> mails(4);
  mails[0].headers = signed_headers;                       // dkim pass, spf pass, forged A-R removed
  mails[1].headers = signed_headers;                       // spf fail (another address), dkim pass
  mails[1].ip = "198.51.100.7";
  mails[2].headers = {{"From", " x@example.org"}, {"Subject", " spoof"}};  // dmarc fail, not enforced
  mails[2].ip = "198.51.100.7";
  mails[3].headers = signed_headers;                       // a body changed after signing: dkim fail
  mails[3].body = "Changed\r\n";
  for (std::size_t i = 0; i < mails.size(); ++i) {
    // Postfix hands folds as LF; the engine sees CRLF either way.
    Mail lf = mails[i];
    for (auto& [name, value] : lf.headers) {
      for (std::size_t p; (p = value.find("\r\n")) != std::string::npos;) value.erase(p, 1);
    }
    const auto daemon = as_delivered(h.send(lf), "Authentication-Results");
    const auto verify = stored_authres(h, mails[i]);
    EXPECT_FALSE(daemon.empty()) << i;
    EXPECT_EQ(daemon, verify) << "message " << i;
  }
}

TEST(EngineHandler, LeadingSpaceFollowsTheNegotiatedStep) {
  Harness h("");
  h.memory->add_txt("example.com", "v=spf1 ip4:192.0.2.1 -all");
  Mail mail;
  mail.headers = {{"From", " a@example.com"}};
  EXPECT_EQ(h.send(mail).inserted("Authentication-Results").rfind(" mx.test;", 0), 0u);
  h.negotiated.steps = milter::Steps{};  // the MTA puts the space after the colon itself
  mail.headers = {{"From", "a@example.com"}};
  const auto out = h.send(mail);
  EXPECT_EQ(out.inserted("Authentication-Results").rfind("mx.test;", 0), 0u) << out.inserted("Authentication-Results");
  EXPECT_NE(out.inserted("Authentication-Results").find("dmarc=none"), std::string::npos);
}

}  // namespace
}  // namespace domainauth::engine

namespace domainauth::engine {
namespace {

// Failure reports (RFC 9991) from the milter: a fake relay records what the worker submits.
struct ReportCapture {
  std::mutex mutex;
  std::vector<OutgoingReport> sent;
  std::shared_ptr<FailureReporter> attach(Harness& h) {
    auto reporter = std::make_shared<FailureReporter>(
        h.config->failure_reports, "reports@mx.test", "mx.test", h.config->dmarc, [this](const OutgoingReport& r) {
          std::lock_guard lock(mutex);
          sent.push_back(r);
          return std::optional<std::string>();
        });
    h.context->failure_reporter = reporter;
    return reporter;
  }
};

Mail spoofed_bank_mail() {
  Mail mail;
  mail.headers = {{"From", " Jane Doe <jane.doe@bank.example>"}, {"To", " bob@customer.example"},
                  {"Subject", " pay now"}};
  return mail;
}

void run_background(Harness& h, FailureReporter& reporter) {
  h.io.restart();
  h.io.run();  // the detached destination checks
  ASSERT_TRUE(reporter.flush(std::chrono::seconds(5)));
}

TEST(MilterFailureReports, SpoofedFromIsRejectedAndReportedToRufAndBcc) {
  Harness h("[dmarc]\nenforce = true\n[failure_reports]\nenabled = true\nbcc = [\"audit@mx.test\"]\n");
  ReportCapture capture;
  auto reporter = capture.attach(h);
  h.memory->add_txt("example.com", "v=spf1 -all");
  h.memory->add_txt("_dmarc.bank.example", "v=DMARC1; p=reject; ruf=mailto:forensic@bank.example; fo=1");
  const auto out = h.send(spoofed_bank_mail());
  EXPECT_EQ(out.eom.reply.smtp.code, 550u);
  run_background(h, *reporter);
  ASSERT_EQ(capture.sent.size(), 1u);
  const auto& r = capture.sent[0];
  EXPECT_EQ(r.mail_from, "reports@mx.test");
  EXPECT_EQ(r.recipients, (std::vector<std::string>{"forensic@bank.example", "audit@mx.test"}));
  EXPECT_NE(r.message.find("\r\nTo: forensic@bank.example\r\n"), std::string::npos);
  EXPECT_EQ(r.message.find("audit@mx.test"), std::string::npos);  // a blind copy
  EXPECT_NE(r.message.find("Auth-Failure: dmarc\r\n"), std::string::npos);
  EXPECT_NE(r.message.find("Reported-Domain: bank.example\r\n"), std::string::npos);
  EXPECT_NE(r.message.find("Authentication-Results: mx.test; dmarc=fail (p=reject dis=reject)\r\n"
                           " header.from=bank.example\r\n"),
            std::string::npos);  // folded within 78 columns
  EXPECT_NE(r.message.find("Delivery-Result: reject\r\n"), std::string::npos);
  EXPECT_NE(r.message.find("Source-IP: 192.0.2.1\r\n"), std::string::npos);
  EXPECT_EQ(r.message.find("jane.doe"), std::string::npos);  // failure_reports.redact defaults to true
  EXPECT_EQ(reporter->stats().sent, 1u);
}

TEST(MilterFailureReports, NoneForSkippedClientsOrWithoutRuf) {
  Harness h("[dmarc]\nignore_mail_from = [\"bank.example\"]\n[failure_reports]\nenabled = true\n");
  ReportCapture capture;
  auto reporter = capture.attach(h);
  h.memory->add_txt("_dmarc.bank.example", "v=DMARC1; p=reject; ruf=mailto:forensic@bank.example; fo=1");
  h.memory->add_txt("_dmarc.other.example", "v=DMARC1; p=reject; fo=1");
  auto mail = spoofed_bank_mail();
  (void)h.send(mail);  // From domain in ignore_mail_from
  mail.auth_user = "jane";
  h.config->dmarc.ignore_mail_from.clear();
  (void)h.send(mail);  // authenticated client
  mail.auth_user.clear();
  mail.headers[0].second = " x@other.example";
  (void)h.send(mail);  // no ruf
  run_background(h, *reporter);
  EXPECT_TRUE(capture.sent.empty());
}

// Mail from signer.example with an Ed25519 signature (r=y when asked) whose
// body is changed after signing: dkim=fail, body hash.
Mail broken_signed_mail(testing::KeyFolder& keys, bool request_reports) {
  std::string error;
  auto key = dkim::PrivateKey::load_file(keys.key("signer"), false, &error);
  EXPECT_TRUE(key) << error;
  Fields headers = {{"From", " a@signer.example"}, {"To", " b@mx.test"}, {"Subject", " hello"}};
  std::vector<mail::HeaderField> fields;
  for (const auto& [n, v] : headers) fields.push_back({n, n + ":" + v});
  dkim::SignRequest request("signer.example", "s1", *key);
  request.request_reports = request_reports;
  dkim::Signer signer({request}, fields);
  signer.body("Hello\r\n");
  const auto signature = signer.finish().at(0).field;
  headers.insert(headers.begin(), {"DKIM-Signature", signature.substr(signature.find(':') + 1)});
  Mail mail;
  mail.headers = headers;
  mail.body = "Hello, changed\r\n";
  return mail;
}

// RFC 6651: failure_reports.dkim sends a report to <ra>@<d> for a broken
// signature with r=y when the reporting record asks for it; none without r=y,
// none when rr= leaves the failure out, none with the switch off.
TEST(MilterFailureReports, Rfc6651_BrokenSignatureWithRYReportedToTheSigningDomain) {
  testing::KeyFolder keys;
  Harness h("[failure_reports]\ndkim = true\ndkim_sent_by = \"DKIM reports <dkim@mx.test>\"\n");
  ReportCapture capture;
  auto reporter = capture.attach(h);
  h.memory->add_txt("s1._domainkey.signer.example", keys.record("signer"));
  h.memory->add_txt("_report._domainkey.signer.example", "ra=dkim-failures; rr=v");
  (void)h.send(broken_signed_mail(keys, true));
  (void)h.send(broken_signed_mail(keys, false));
  run_background(h, *reporter);
  ASSERT_EQ(capture.sent.size(), 1u);
  const auto& r = capture.sent[0];
  EXPECT_EQ(r.mail_from, "dkim@mx.test");
  EXPECT_EQ(r.recipients, std::vector<std::string>{"dkim-failures@signer.example"});
  EXPECT_EQ(r.message.rfind("From: DKIM reports <dkim@mx.test>\r\n", 0), 0u);
  EXPECT_NE(r.message.find("Subject: DKIM failure report for signer.example (bodyhash)\r\n"), std::string::npos);
  EXPECT_NE(r.message.find("Auth-Failure: bodyhash\r\n"), std::string::npos);
  EXPECT_NE(r.message.find("DKIM-Domain: signer.example\r\n"), std::string::npos);
  EXPECT_NE(r.message.find("DKIM-Selector: s1\r\n"), std::string::npos);
  EXPECT_EQ(reporter->stats().sent, 1u);

  // rr=x asks for expired signatures only: a body hash failure is not reported.
  capture.sent.clear();
  Harness h2("[failure_reports]\ndkim = true\n");
  auto reporter2 = capture.attach(h2);
  h2.memory->add_txt("s1._domainkey.signer.example", keys.record("signer"));
  h2.memory->add_txt("_report._domainkey.signer.example", "ra=dkim-failures; rr=x");
  (void)h2.send(broken_signed_mail(keys, true));
  run_background(h2, *reporter2);
  EXPECT_TRUE(capture.sent.empty());
  EXPECT_EQ(reporter2->stats().not_requested, 1u);

  // The switch off (only DMARC reports on): nothing, however the signature asks.
  Harness h3("[failure_reports]\nenabled = true\n");
  auto reporter3 = capture.attach(h3);
  h3.memory->add_txt("s1._domainkey.signer.example", keys.record("signer"));
  h3.memory->add_txt("_report._domainkey.signer.example", "ra=dkim-failures");
  (void)h3.send(broken_signed_mail(keys, true));
  run_background(h3, *reporter3);
  EXPECT_TRUE(capture.sent.empty());
}

TEST(MilterFailureReports, RateLimitedPerFromDomain) {
  Harness h("[failure_reports]\nenabled = true\nrate_limit = 1\nredact = false\ninclude_body = true\n");
  ReportCapture capture;
  auto reporter = capture.attach(h);
  h.memory->add_txt("_dmarc.bank.example", "v=DMARC1; p=none; ruf=mailto:forensic@bank.example");
  (void)h.send(spoofed_bank_mail());
  (void)h.send(spoofed_bank_mail());
  run_background(h, *reporter);
  ASSERT_EQ(capture.sent.size(), 1u);
  EXPECT_EQ(reporter->stats().rate_limited, 1u);
  // Not redacted, body included: message/rfc822 with the local-part and the body.
  EXPECT_NE(capture.sent[0].message.find("jane.doe@bank.example"), std::string::npos);
  EXPECT_NE(capture.sent[0].message.find("Content-Type: message/rfc822"), std::string::npos);
  EXPECT_NE(capture.sent[0].message.find("\r\n\r\nHello\r\n"), std::string::npos);
  EXPECT_NE(capture.sent[0].message.find("Delivery-Result: delivered"), std::string::npos);
}

}  // namespace
}  // namespace domainauth::engine
