// The milter protocol without sockets: commands played into a Conversation whose
// replies go to memory. Pins what the session relies on: replies in order,
// none for the steps the MTA expects none, the output told when the handler's
// end of message begins and ends (it sends SMFIR_PROGRESS meanwhile), a QUIT
// ending the conversation, and a command out of order closing it.
#include "milter/conversation.hpp"

// g++ 12 misreports asio's awaitable frame allocator as mismatched new/delete
// (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "support/milter_packet.hpp"

using namespace std::string_literals;

namespace domainauth::milter {
namespace {

using domainauth::testing::milter_packet;

class Recorder final : public Output {
 public:
  void write(std::string_view bytes) override { events.push_back("write " + std::string(bytes.substr(4, 1))); }
  void end_of_message_running(bool running) override {
    events.push_back(running ? "eom begins" : "eom ends");
  }
  std::vector<std::string> events;
};

class Handler final : public MessageHandler {
 public:
  explicit Handler(std::vector<std::string>& events) : events_(events) {}
  asio::awaitable<EndOfMessageResult> on_end_of_message() override {
    events_.push_back("handler eom");
    co_return EndOfMessageResult{{AddHeader{"X-Test", "yes"}}, Reply::continue_()};
  }

 private:
  std::vector<std::string>& events_;
};

class MilterConversation : public ::testing::Test {
 protected:
  MilterConversation() {
    options_.capabilities.actions = Action::add_headers;
    options_.capabilities.steps = Step::no_reply_header | Step::no_reply_mail;
  }

  // Plays the packets; the results of handle(), in order.
  std::vector<bool> play(const std::string& wire) {
    std::vector<bool> results;
    const HandlerFactory factory = [this](const SessionContext&) { return std::make_unique<Handler>(output_.events); };
    asio::io_context io;
    Conversation conversation(options_, factory, "test", output_, io.get_executor());
    FrameReader reader;
    const auto space = reader.prepare();
    std::copy(wire.begin(), wire.end(), space.begin());
    reader.commit(wire.size());
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (auto next = reader.next(); next.status == FrameReader::Status::frame; next = reader.next()) {
            const auto command = decode(next.frame);
            if (!command.ok()) co_return;
            // g++ 12 miscompiles co_await inside ?: and &&: statements only.
            bool go_on = true;
            if (const auto* eom = std::get_if<EndOfMessage>(&command.value())) {
              go_on = co_await conversation.end_of_message(*eom);
            } else {
              go_on = conversation.handle(command.value());
            }
            results.push_back(go_on);
            if (!results.back()) co_return;
          }
        },
        asio::detached);
    io.run();
    return results;
  }

  ServerOptions options_;
  Recorder output_;
};

const std::string kOptneg = milter_packet('O', "\0\0\0\6\0\0\1\xff\0\x1f\xff\xff"s);

TEST_F(MilterConversation, RepliesInOrderAndTellsTheOutputAboutEndOfMessage) {
  const auto results = play(kOptneg + milter_packet('M', "<a@example.org>\0"s) + milter_packet('L', "Subject\0 hi\0"s) +
                            milter_packet('N') + milter_packet('E') + milter_packet('Q'));
  EXPECT_EQ(results, (std::vector<bool>{true, true, true, true, true, false}));
  EXPECT_EQ(output_.events, (std::vector<std::string>{"write O", "write c", "eom begins", "handler eom",
                                                      "eom ends", "write h"}));
}

TEST_F(MilterConversation, CommandOutOfOrderEndsIt) {
  const auto results = play(milter_packet('M', "<a@example.org>\0"s) + kOptneg);
  EXPECT_EQ(results, (std::vector<bool>{false}));
  EXPECT_TRUE(output_.events.empty());
}

}  // namespace
}  // namespace domainauth::milter
