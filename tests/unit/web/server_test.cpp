// The web listener's sockets with deferred pages (web/server.hpp): a page that
// answers later is waited for, one that never answers has its connection closed
// unanswered at ServerOptions::timeout, and either way the connection is released.
#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "web/server.hpp"

namespace domainauth::web {
namespace {

using namespace std::chrono_literals;

class WebServer : public ::testing::Test {
 protected:
  void SetUp() override {
    auto router = std::make_shared<Router>("");
    router->add_deferred("/later", [this](const Request&, const Reply& reply) {
      auto timer = std::make_shared<asio::steady_timer>(io_, 50ms);
      timer->async_wait([timer, reply](const asio::error_code&) {
        Response r;
        r.body = "later";
        reply(r);
      });
    });
    router->add_deferred("/never", [this](const Request&, Reply reply) { held_.push_back(std::move(reply)); });
    server_.emplace(io_.get_executor(), router, ServerOptions{4, 300ms});
    std::string error;
    const auto address = net::ListenAddress::parse("inet:127.0.0.1:0", error);
    ASSERT_TRUE(address) << error;
    const auto bound = server_->listen(*address);
    ASSERT_TRUE(bound.ok()) << bound.error;
    port_ = bound.port;
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    asio::post(io_, [this] {
      server_->stop();
      held_.clear();
      io_.stop();
    });
    thread_.join();
  }

  // The whole answer to GET path, "" when the connection closed unanswered.
  std::string fetch(const std::string& path) {
    asio::io_context client;
    asio::ip::tcp::socket socket(client);
    socket.connect({asio::ip::make_address("127.0.0.1"), port_});
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::string answer;
    asio::error_code ec;
    asio::read(socket, asio::dynamic_buffer(answer), ec);
    return answer;
  }

  std::size_t connections() {
    std::promise<std::size_t> n;
    asio::post(io_, [&] { n.set_value(server_->connections()); });
    return n.get_future().get();
  }

  asio::io_context io_;
  std::optional<Server> server_;
  std::vector<Reply> held_;  // the replies /never keeps (touched on the loop only)
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(WebServer, ADeferredPageIsWaitedFor) {
  const auto answer = fetch("/later");
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("\r\n\r\nlater"), std::string::npos) << answer;
}

TEST_F(WebServer, APageThatNeverAnswersIsClosedAtTheTimeout) {
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(fetch("/never"), "") << "closed unanswered";
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  for (int i = 0; i < 50 && connections() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(connections(), 0u) << "the connection is released";
  EXPECT_EQ(fetch("/later").rfind("HTTP/1.1 200", 0), 0u) << "and the server goes on";
}

}  // namespace
}  // namespace domainauth::web
