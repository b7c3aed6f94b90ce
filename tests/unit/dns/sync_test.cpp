// Unit tests of dns::run_sync: value returned, exceptions propagated, abandoned
// tasks detected; and of the dns::lookup adapter driven by it.
#include "dns/sync.hpp"

#include <gtest/gtest.h>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "dns/await.hpp"
#include "support/memory_resolver.hpp"

namespace domainauth::dns {
namespace {

asio::awaitable<int> after_a_timer(int value) {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
  co_await timer.async_wait(asio::use_awaitable);
  co_return value;
}

asio::awaitable<int> throws() {
  co_await after_a_timer(0);
  throw std::runtime_error("boom");
}

asio::awaitable<void> nothing() { co_return; }

TEST(RunSync, returns_the_value) {
  asio::io_context io;
  EXPECT_EQ(run_sync(io, after_a_timer(42)), 42);
  EXPECT_EQ(run_sync(io, after_a_timer(7)), 7);  // the io_context can be reused
}

TEST(RunSync, propagates_exceptions) {
  asio::io_context io;
  EXPECT_THROW(run_sync(io, throws()), std::runtime_error);
}

TEST(RunSync, void_tasks) {
  asio::io_context io;
  run_sync(io, nothing());
  SUCCEED();
}

// A resolver that loses every query: the awaiting coroutine is never resumed.
class LosingResolver : public Resolver {
 public:
  void query(std::string_view, RecordType, Handler) override {}
};

TEST(RunSync, abandoned_task_is_a_logic_error_not_a_hang) {
  asio::io_context io;
  LosingResolver resolver;
  EXPECT_THROW(run_sync(io, lookup(resolver, "example.com", RecordType::a)), std::logic_error);
}

TEST(RunSync, lookup_through_a_resolver) {
  asio::io_context io;
  testing::MemoryResolver resolver(io.get_executor());
  resolver.add_txt("example.com", "v=spf1 -all");
  const Answer a = run_sync(io, lookup(resolver, "example.com", RecordType::txt));
  EXPECT_EQ(a.status, Status::answer);
  EXPECT_EQ(a.txt, std::vector<std::string>{"v=spf1 -all"});
}

}  // namespace
}  // namespace domainauth::dns
