// The per-message DNS deadline: answers pass through before it, pending and
// later queries get Status::timeout after it, late inner answers are dropped.
#include "engine/deadline_resolver.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <chrono>

#include "silent_resolver.hpp"

namespace domainauth::engine {
namespace {

TEST(DeadlineResolver, AnswersBeforeTheDeadlinePassThrough) {
  asio::io_context io;
  auto inner = std::make_shared<testing::SilentResolver>();
  DeadlineResolver resolver(io.get_executor(), inner);
  std::vector<dns::Status> got;
  resolver.query("a.example", dns::RecordType::txt, [&](dns::Answer a) { got.push_back(a.status); });
  resolver.expire_after(std::chrono::seconds(10));
  dns::Answer answer;
  answer.status = dns::Status::nxdomain;
  inner->waiting.at(0).second(answer);
  EXPECT_EQ(got, std::vector<dns::Status>{dns::Status::nxdomain});
}

TEST(DeadlineResolver, PendingAndLaterQueriesTimeOutAtTheDeadline) {
  asio::io_context io;
  auto inner = std::make_shared<testing::SilentResolver>();
  DeadlineResolver resolver(io.get_executor(), inner);
  std::vector<dns::Status> got;
  resolver.query("a.example", dns::RecordType::txt, [&](dns::Answer a) { got.push_back(a.status); });
  const auto start = std::chrono::steady_clock::now();
  resolver.expire_after(std::chrono::milliseconds(50));
  io.run();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(got, std::vector<dns::Status>{dns::Status::timeout});
  EXPECT_GE(waited, std::chrono::milliseconds(50));
  EXPECT_LT(waited, std::chrono::milliseconds(1000));
  // The inner server answering late changes nothing.
  inner->waiting.at(0).second(dns::Answer{});
  resolver.query("b.example", dns::RecordType::txt, [&](dns::Answer a) { got.push_back(a.status); });
  io.restart();
  io.run();
  EXPECT_EQ(got, (std::vector<dns::Status>{dns::Status::timeout, dns::Status::timeout}));
  EXPECT_EQ(inner->waiting.size(), 1u);  // b.example never reached the server
}

}  // namespace
}  // namespace domainauth::engine
