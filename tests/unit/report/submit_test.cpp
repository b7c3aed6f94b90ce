// SMTP submission (RFC 5321) through libcurl against a scripted loopback relay:
// accepted, a refused recipient, a relay that is down, and a relay that accepts
// the connection and never answers (bounded by the deadline).
#include "report/submit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "fake_relay.hpp"

namespace domainauth::report {
namespace {

using testing::Listener;
using testing::serve;

const std::string kMessage = "From: a@example.com\r\nSubject: t\r\n\r\nbody\r\n.dot\r\n";

TEST(Submit, Rfc5321AcceptedMessageArrivesDotStuffed) {
  Listener relay;
  ASSERT_NE(relay.port, 0);
  std::string data;
  std::thread server(serve, relay.fd, "nobody@", std::ref(data));
  const auto why = submit(Relay{"127.0.0.1", relay.port}, "dmarc@example.com", {"r@example.net"}, kMessage);
  server.join();
  EXPECT_EQ(why, std::nullopt) << *why;
  EXPECT_NE(data.find("Subject: t\r\n"), std::string::npos) << data;
  EXPECT_NE(data.find("\r\n..dot\r\n"), std::string::npos) << data;  // RFC 5321 4.5.2 transparency
}

TEST(Submit, Rfc5321RefusedRecipientIsAnError) {
  Listener relay;
  std::string data;
  std::thread server(serve, relay.fd, "nobody@", std::ref(data));
  const auto why =
      submit(Relay{"127.0.0.1", relay.port}, "dmarc@example.com", {"r@example.net", "nobody@example.net"}, kMessage);
  server.join();
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("550"), std::string::npos) << *why;
  EXPECT_TRUE(data.empty());
}

TEST(Submit, RelayDownIsAnErrorNamingTheRelay) {
  std::uint16_t port = 0;
  {
    Listener closed;
    port = closed.port;
  }
  const auto why =
      submit(Relay{"127.0.0.1", port, std::chrono::seconds{5}}, "d@example.com", {"r@example.net"}, kMessage);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("127.0.0.1:" + std::to_string(port)), std::string::npos) << *why;
}

// A relay that completes the TCP handshake (listen backlog) and never greets.
using Clock = std::chrono::steady_clock;

TEST(Submit, SilentRelayEndsAtTheDeadlineNotTheRelayTimeout) {
  Listener silent;
  const auto deadline = Clock::now() + std::chrono::milliseconds(500);
  const auto start = Clock::now();
  const auto why = submit(Relay{"127.0.0.1", silent.port, std::chrono::seconds{60}}, "d@example.com",
                          {"r@example.net"}, kMessage, [deadline] { return deadline; });
  ASSERT_TRUE(why);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5)) << *why;
}

TEST(Submit, DeadlineMovedEarlierCutsATransactionInProgress) {
  Listener silent;
  std::atomic<bool> stopping{false};
  std::thread stop([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stopping = true;
  });
  const auto start = Clock::now();
  const auto why = submit(Relay{"127.0.0.1", silent.port, std::chrono::seconds{60}}, "d@example.com",
                          {"r@example.net"}, kMessage,
                          [&] { return stopping ? Clock::now() : Clock::time_point::max(); });
  stop.join();
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("abandoned at its deadline"), std::string::npos) << *why;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5)) << *why;  // libcurl asks about once a second
}

TEST(Submit, DeadlinePassedIsNotAttempted) {
  const auto why = submit(Relay{"127.0.0.1", 9}, "d@example.com", {"r@example.net"}, kMessage,
                          [] { return Clock::now() - std::chrono::seconds(1); });
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("not attempted"), std::string::npos) << *why;
}

TEST(Submit, NoRecipientsIsAnError) {
  EXPECT_TRUE(submit(Relay{}, "d@example.com", {}, kMessage));
}

}  // namespace
}  // namespace domainauth::report
