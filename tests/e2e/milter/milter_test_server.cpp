// A small milter for the end-to-end edge-case tests: the real milter::Server with
// a trivial handler that counts body bytes and adds "X-Milter-Test: bytes=N
// messages=M" at end of message. Usage:
//   milter_test_server [--idle-ms N] [--stall-ms N] [--progress-ms N] [--eom-delay-ms N] LISTEN...
// LISTEN is inet:HOST:PORT (port 0: any) or unix:PATH. Prints "listening SPEC" per
// listener once ready, then serves until SIGTERM/SIGINT. Logs go to stderr.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "milter/server.hpp"

using namespace domainauth::milter;

namespace {

class CountingHandler : public MessageHandler {
 public:
  CountingHandler(const SessionContext& context, std::chrono::milliseconds eom_delay)
      : context_(context), eom_delay_(eom_delay) {}

  Reply on_mail_from(const MailFrom& /*mail*/) override {
    bytes_ = 0;
    return Reply::continue_();
  }
  Reply on_body(std::string_view chunk) override {
    bytes_ += chunk.size();
    return Reply::continue_();
  }
  asio::awaitable<EndOfMessageResult> on_end_of_message() override {
    if (eom_delay_.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, eom_delay_);
      co_await timer.async_wait(asio::use_awaitable);
    }
    ++messages_;
    std::string value = "bytes=" + std::to_string(bytes_) + " messages=" + std::to_string(messages_);
    if (auto id = context_.macros.get("i")) {
      value += " queue_id=" + std::string(*id);
    }
    bytes_ = 0;
    co_return EndOfMessageResult{{AddHeader{"X-Milter-Test", value}}, Reply::continue_()};
  }
  void on_abort() override { bytes_ = 0; }

 private:
  SessionContext context_;
  std::chrono::milliseconds eom_delay_;
  std::size_t bytes_ = 0;
  std::size_t messages_ = 0;
};

std::chrono::milliseconds ms(const char* text) { return std::chrono::milliseconds(std::atol(text)); }

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_logger_st("milter"));  // stdout is for "listening"
  spdlog::set_pattern("%l %v");
  ServerOptions options;
  options.capabilities.actions = Action::add_headers;
  std::chrono::milliseconds eom_delay{0};
  std::vector<domainauth::net::ListenAddress> listens;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 < argc && arg == "--idle-ms") {
      options.idle_timeout = ms(argv[++i]);
    } else if (i + 1 < argc && arg == "--stall-ms") {
      options.stall_timeout = ms(argv[++i]);
    } else if (i + 1 < argc && arg == "--progress-ms") {
      options.progress_interval = ms(argv[++i]);
    } else if (i + 1 < argc && arg == "--eom-delay-ms") {
      eom_delay = ms(argv[++i]);
    } else if (std::string unused; auto address = domainauth::net::ListenAddress::parse(arg, unused)) {
      listens.push_back(*address);
    } else {
      std::cerr << "usage: milter_test_server [--idle-ms N] [--stall-ms N] [--progress-ms N] "
                   "[--eom-delay-ms N] LISTEN...\n";
      return 1;
    }
  }
  asio::io_context io;
  Server server(io.get_executor(), options, [eom_delay](const SessionContext& context) {
    return std::make_unique<CountingHandler>(context, eom_delay);
  });
  for (auto address : listens) {
    auto result = server.listen(address);
    if (!result.ok()) {
      std::cerr << "milter_test_server: " << result.error << "\n";
      return 2;
    }
    address.port = result.port;
    std::cout << "listening " << address.to_string() << std::endl;
  }
  server.start();
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const asio::error_code&, int) {
    server.stop();
    io.stop();
  });
  io.run();
  return 0;
}
