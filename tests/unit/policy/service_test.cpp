// The SPF policy service against an in-memory zone: actions for each SPF
// outcome (RFC 7208 8; Received-SPF 9.1), the RCPT-only rule, skipped clients,
// and the per-instance cache doing no new DNS work.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "dns/sync.hpp"
#include "support/memory_resolver.hpp"
#include "policy/service.hpp"

namespace domainauth::policy {
namespace {

class PolicyService : public ::testing::Test {
 protected:
  PolicyService() : resolver_(std::make_shared<testing::MemoryResolver>(io_.get_executor())) {
    resolver_->add_txt("example.com", "v=spf1 ip4:192.0.2.0/24 ~all");
    resolver_->add_txt("strict.example", "v=spf1 ip4:192.0.2.1 -all");
    resolver_->add_txt("mail.example.com", "v=spf1 ip4:192.0.2.0/24 -all");
    resolver_->add_txt("bad-helo.example", "v=spf1 -all");
    resolver_->set_timeout("slow.example");
    settings_.receiver = "mx.test";
    settings_.skip_addresses = {*net::Network::parse("10.0.0.0/8")};
  }

  Answer handle(std::initializer_list<std::pair<std::string, std::string>> overrides) {
    if (!service_) {
      auto settings = std::make_shared<Settings>();
      settings->spf = settings_;
      settings->resolver = resolver_;
      service_.emplace(settings, 100);
    }
    Request request;
    for (const auto& [name, value] : overrides) request.add(name, value);
    const std::pair<const char*, const char*> base[] = {
        {"request", "smtpd_access_policy"}, {"protocol_state", "RCPT"}, {"client_address", "192.0.2.1"},
        {"helo_name", "mail.example.com"},  {"sender", "a@example.com"}, {"recipient", "b@example.org"},
        {"instance", "1.2.3"},               {"sasl_username", ""}};
    for (const auto& [name, value] : base) request.add(name, value);  // no-op when overridden
    return dns::run_sync(io_, service_->handle(request));
  }

  asio::io_context io_;
  std::shared_ptr<testing::MemoryResolver> resolver_;
  config::SpfSettings settings_;
  std::optional<Service> service_;
};

TEST_F(PolicyService, PassPrependsReceivedSpfRfc7208Section9_1) {
  const auto answer = handle({});
  EXPECT_EQ(answer.action.rfind("PREPEND Received-SPF: pass (mx.test: ", 0), 0u) << answer.action;
  EXPECT_NE(answer.action.find("client-ip=192.0.2.1;"), std::string::npos) << answer.action;
  EXPECT_NE(answer.action.find("identity=mailfrom"), std::string::npos) << answer.action;
  EXPECT_NE(answer.log.find("mailfrom_result=pass"), std::string::npos) << answer.log;
}

TEST_F(PolicyService, FailRejects550_5_7_23) {
  const auto answer = handle({{"client_address", "192.0.2.9"}, {"sender", "x@strict.example"},
                              {"helo_name", "unknown.example"}});
  EXPECT_EQ(answer.action.rfind("550 5.7.23 ", 0), 0u) << answer.action;
}

TEST_F(PolicyService, SoftfailAcceptsWithHeader) {
  const auto answer = handle({{"client_address", "198.51.100.1"}, {"helo_name", "unknown.example"}});
  EXPECT_EQ(answer.action.rfind("PREPEND Received-SPF: softfail ", 0), 0u) << answer.action;
}

TEST_F(PolicyService, HeloFailRejectsBeforeMailFrom) {
  const auto answer = handle({{"helo_name", "bad-helo.example"}});
  EXPECT_EQ(answer.action.rfind("550 5.7.23 ", 0), 0u) << answer.action;
  EXPECT_NE(answer.log.find("identity=helo"), std::string::npos) << answer.log;
}

TEST_F(PolicyService, DnsTimeoutDefers451_4_4_3) {
  const auto answer = handle({{"sender", "a@slow.example"}, {"helo_name", "unknown.example"}});
  EXPECT_EQ(answer.action.rfind("451 4.4.3 ", 0), 0u) << answer.action;
}

TEST_F(PolicyService, TemperrorAcceptedWhenConfigured) {
  settings_.policy.mail_from.set(spf::Result::temperror, spf::Verdict::accept);
  const auto answer = handle({{"sender", "a@slow.example"}, {"helo_name", "unknown.example"}});
  EXPECT_EQ(answer.action.rfind("PREPEND Received-SPF: temperror ", 0), 0u) << answer.action;
}

TEST_F(PolicyService, OtherProtocolStatesAreDunno) {
  for (const char* state : {"CONNECT", "EHLO", "MAIL", "DATA", "END-OF-MESSAGE"}) {
    EXPECT_EQ(handle({{"protocol_state", state}}).action, "DUNNO") << state;
  }
  EXPECT_TRUE(resolver_->log().empty());
}

TEST_F(PolicyService, SkippedNetworkAndAuthenticatedClientsCostNoDns) {
  EXPECT_EQ(handle({{"client_address", "10.1.2.3"}, {"instance", "a"}}).action, "DUNNO");
  EXPECT_EQ(handle({{"sasl_username", "alice"}, {"instance", "b"}}).action, "DUNNO");
  EXPECT_EQ(handle({{"client_address", "::ffff:10.1.2.3"}, {"instance", "c"}}).action, "DUNNO");
  EXPECT_TRUE(resolver_->log().empty());
}

TEST_F(PolicyService, AuthenticatedCheckedWhenSkipDisabled) {
  settings_.skip_authenticated = false;
  EXPECT_NE(handle({{"sasl_username", "alice"}}).action, "DUNNO");
}

TEST_F(PolicyService, UnusableClientAddressIsDunno) {
  EXPECT_EQ(handle({{"client_address", "unknown"}}).action, "DUNNO");
}

TEST_F(PolicyService, SameInstanceAnsweredFromCacheWithoutDns) {
  const auto first = handle({{"recipient", "one@example.org"}});
  const auto lookups = resolver_->log().size();
  ASSERT_GT(lookups, 0u);
  const auto second = handle({{"recipient", "two@example.org"}});
  EXPECT_EQ(second.action, first.action);
  EXPECT_EQ(resolver_->log().size(), lookups);
  EXPECT_NE(second.log.find("cached=yes"), std::string::npos);
  handle({{"instance", "other"}});
  EXPECT_GT(resolver_->log().size(), lookups);
}

TEST_F(PolicyService, ReceivedSpfOffGivesDunnoOnAccept) {
  settings_.received_spf = false;
  EXPECT_EQ(handle({}).action, "DUNNO");
}

TEST(LogField, QuotesAndEscapesUntrustedText) {
  EXPECT_EQ(log_field("k", "plain"), "k=plain");
  EXPECT_EQ(log_field("k", ""), "k=\"\"");
  EXPECT_EQ(log_field("k", "a b"), "k=\"a b\"");
  EXPECT_EQ(log_field("k", "x\" y=\"z\n"), "k=\"x\\\" y=\\\"z\\x0a\"");
}

}  // namespace
}  // namespace domainauth::policy
