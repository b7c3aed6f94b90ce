// Milter sessions end to end over loopback: a real Server with a fake handler, an
// MTA played by a blocking socket in the test. Pins negotiation, the reply/no-reply
// rules, macros reaching the handler, abort, quit-nc reuse, skip, handler failure,
// progress at a slow end of message, closing on garbage, oversize and stalls (a
// trickled packet too), the connection cap, and stop() closing idle sessions.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <mutex>
#include <thread>

#include "milter/server.hpp"
#include "support/milter_packet.hpp"

using namespace std::string_literals;
using namespace std::chrono_literals;

namespace domainauth::milter {
namespace {

// What the handlers saw, shared with the test thread.
struct Journal {
  std::mutex mutex;
  std::vector<std::string> events;
  int handlers = 0;
  void add(std::string e) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(e));
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex);
    return std::exchange(events, {});
  }
};

struct Behaviour {
  Reply body_reply;                 // answer to each body chunk
  bool throw_at_rcpt = false;
  std::chrono::milliseconds eom_delay{0};
  std::vector<Modification> modifications;
};

class FakeHandler : public MessageHandler {
 public:
  FakeHandler(const SessionContext& context, Journal& journal, const Behaviour& behaviour)
      : context_(context), journal_(journal), behaviour_(behaviour) {}

  Reply on_connect(const Connect& c) override {
    journal_.add("connect " + std::string(c.hostname) + " " + (c.ip ? c.ip->to_string() : "-"));
    return Reply::continue_();
  }
  Reply on_helo(const Helo& h) override {
    journal_.add("helo " + std::string(h.name));
    return Reply::continue_();
  }
  Reply on_mail_from(const MailFrom& m) override {
    journal_.add("mail " + std::string(m.address) + " auth=" +
                 std::string(context_.macros.get("{auth_authen}").value_or("-")));
    return Reply::continue_();
  }
  Reply on_rcpt(const RcptTo& r) override {
    if (behaviour_.throw_at_rcpt) {
      throw std::runtime_error("boom");
    }
    journal_.add("rcpt " + std::string(r.address));
    return Reply::with_smtp(550, "5.1.1", "no such user");
  }
  Reply on_header(const Header& h) override {
    journal_.add("header " + std::string(h.name));
    return Reply::reject();  // dropped under SMFIP_NR_HDR
  }
  Reply on_body(std::string_view chunk) override {
    journal_.add("body " + std::to_string(chunk.size()));
    return behaviour_.body_reply;
  }
  asio::awaitable<EndOfMessageResult> on_end_of_message() override {
    if (behaviour_.eom_delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, behaviour_.eom_delay);
      co_await timer.async_wait(asio::use_awaitable);
    }
    const std::string id(context_.macros.get("i").value_or("none"));
    journal_.add("eom " + id);
    EndOfMessageResult result{behaviour_.modifications, Reply::continue_()};
    result.modifications.push_back(AddHeader{"X-Queue", id});
    co_return result;
  }
  void on_abort() override { journal_.add("abort"); }

 private:
  SessionContext context_;
  Journal& journal_;
  const Behaviour& behaviour_;
};

// The MTA side: blocking packets with a receive timeout so a bug cannot hang the test.
class Mta {
 public:
  explicit Mta(std::uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::address_v4::loopback(), port});
    socket_.set_option(asio::ip::tcp::no_delay(true));  // as Postfix does: no Nagle waits in the test
    timeval tv{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  void raw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  int native_handle() { return socket_.native_handle(); }
  void send(char code, const std::string& payload) { raw(testing::milter_packet(code, payload)); }
  // The next packet as code + payload; "EOF" when the server closed the connection.
  std::string reply() {
    char header[5];
    asio::error_code ec;
    asio::read(socket_, asio::buffer(header, 4), ec);
    if (ec) {
      return "EOF";
    }
    const auto* u = reinterpret_cast<unsigned char*>(header);
    const std::size_t n = (std::size_t{u[0]} << 24) | (u[1] << 16) | (u[2] << 8) | u[3];
    std::string packet(n, '\0');
    asio::read(socket_, asio::buffer(packet), ec);
    return ec ? "EOF" : packet;
  }
  void negotiate(std::uint32_t steps = 0x1fffff) {
    std::string offer = "\x00\x00\x00\x06" "\x00\x00\x01\xff"s;
    for (int shift = 24; shift >= 0; shift -= 8) {
      offer += char(steps >> shift);
    }
    send('O', offer);
    ASSERT_EQ(reply()[0], 'O');
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

class MilterSessionBase : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.capabilities.actions = options.capabilities.actions | Action::add_headers;
    options.one_thread = one_thread_;
    server_ = std::make_unique<Server>(io_.get_executor(), options, [this](const SessionContext& context) {
      std::lock_guard lock(journal_.mutex);
      ++journal_.handlers;
      return std::make_unique<FakeHandler>(context, journal_, behaviour_);
    });
    net::ListenAddress address;
    address.host = "127.0.0.1";
    auto result = server_->listen(address);
    ASSERT_TRUE(result.ok()) << result.error;
    port_ = result.port;
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) {
      asio::post(io_, [this] { server_->stop(); });
    }
    work_.reset();
    io_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  void connect_and_helo(Mta& mta) {
    mta.send('D', "Cj\0mx.example\0{client_addr}\0" "192.0.2.1\0"s);
    mta.send('C', "client.example\0" "4\x04\x00" "192.0.2.1\0"s);
    EXPECT_EQ(mta.reply(), "c");
    mta.send('H', "client.example\0"s);
    EXPECT_EQ(mta.reply(), "c");
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  std::thread thread_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
  Journal journal_;
  Behaviour behaviour_;
  bool one_thread_ = false;
};

// Each test runs twice: sessions on strands, and on one thread without strands
// (as serve runs them).
class MilterSession : public MilterSessionBase, public ::testing::WithParamInterface<bool> {
 protected:
  MilterSession() { one_thread_ = GetParam(); }
};

std::string threads_name(bool one_thread) { return one_thread ? "one_thread" : "strands"; }

TEST_P(MilterSession, NegotiationOffersWhatTheHandlerNeeds) {
  ServerOptions options;
  options.capabilities.steps = Step::no_reply_header | Step::skip | Step::header_leading_space;
  start(options);
  Mta mta(port_);
  mta.send('O', "\x00\x00\x00\x06" "\x00\x00\x01\xff" "\x00\x00\x00\x80"s);  // MTA offers only NR_HDR
  EXPECT_EQ(mta.reply(), "O" "\x00\x00\x00\x06" "\x00\x00\x00\x01" "\x00\x00\x00\x80"s);
}

TEST_P(MilterSession, WholeTransaction) {
  ServerOptions options;
  options.capabilities.steps = Step::no_reply_header;
  start(options);
  Mta mta(port_);
  mta.negotiate();
  connect_and_helo(mta);
  mta.send('D', "M{auth_authen}\0alice\0"s);
  mta.send('M', "<a@example.org>\0SIZE=10\0"s);
  EXPECT_EQ(mta.reply(), "c");
  mta.send('R', "<b@example.net>\0"s);
  EXPECT_EQ(mta.reply(), "y550 5.1.1 no such user\0"s);
  mta.send('T', "");
  EXPECT_EQ(mta.reply(), "c");
  mta.send('L', "From\0 a@example.org\0"s);  // no reply: SMFIP_NR_HDR
  mta.send('L', "Subject\0 hi\0"s);
  mta.send('N', "");
  EXPECT_EQ(mta.reply(), "c");
  mta.send('B', "hello\r\n");
  EXPECT_EQ(mta.reply(), "c");
  mta.send('D', "Ei\0" "4AbC\0"s);
  mta.send('E', "");
  EXPECT_EQ(mta.reply(), "hX-Queue\0" "4AbC\0"s);
  EXPECT_EQ(mta.reply(), "c");
  mta.send('Q', "");
  EXPECT_EQ(mta.reply(), "EOF");
  EXPECT_EQ(journal_.take(), (std::vector<std::string>{
                                 "connect client.example 192.0.2.1", "helo client.example",
                                 "mail <a@example.org> auth=alice", "rcpt <b@example.net>", "header From",
                                 "header Subject", "body 7", "eom 4AbC"}));
}

TEST_P(MilterSession, AbortMidBodyKeepsTheConnection) {
  start();
  Mta mta(port_);
  mta.negotiate();
  connect_and_helo(mta);
  mta.send('M', "<a@example.org>\0"s);
  EXPECT_EQ(mta.reply(), "c");
  mta.send('B', "part");
  EXPECT_EQ(mta.reply(), "c");
  mta.send('A', "");  // no reply to ABORT
  mta.send('M', "<c@example.org>\0"s);
  EXPECT_EQ(mta.reply(), "c");
  mta.send('E', "");
  EXPECT_EQ(mta.reply()[0], 'h');
  EXPECT_EQ(mta.reply(), "c");
  EXPECT_EQ(journal_.take(), (std::vector<std::string>{"connect client.example 192.0.2.1", "helo client.example",
                                                       "mail <a@example.org> auth=-", "body 4", "abort",
                                                       "mail <c@example.org> auth=-", "eom none"}));
}

TEST_P(MilterSession, NewMailBeforeEndOfMessageAbandonsTheOld) {
  start();
  Mta mta(port_);
  mta.negotiate();
  mta.send('M', "<a@example.org>\0"s);
  EXPECT_EQ(mta.reply(), "c");
  mta.send('M', "<b@example.org>\0"s);
  EXPECT_EQ(mta.reply(), "c");
  EXPECT_EQ(journal_.take(), (std::vector<std::string>{"mail <a@example.org> auth=-", "abort",
                                                       "mail <b@example.org> auth=-"}));
}

TEST_P(MilterSession, QuitNoCloseReusesTheConnectionWithANewHandler) {
  start();
  Mta mta(port_);
  mta.negotiate();
  connect_and_helo(mta);
  mta.send('K', "");
  mta.send('C', "second.example\0" "6\x00\x19" "2001:db8::2\0"s);  // a new SMTP client, no new OPTNEG
  EXPECT_EQ(mta.reply(), "c");
  mta.send('M', "<x@example.org>\0"s);
  EXPECT_EQ(mta.reply(), "c");
  EXPECT_EQ(journal_.take(), (std::vector<std::string>{"connect client.example 192.0.2.1", "helo client.example",
                                                       "connect second.example 2001:db8::2",
                                                       "mail <x@example.org> auth=-"}));
  EXPECT_EQ(journal_.handlers, 2);
}

TEST_P(MilterSession, SkipWithoutMtaSupportStopsBodyCallsQuietly) {
  behaviour_.body_reply = Reply::skip();
  start();
  Mta mta(port_);
  mta.negotiate(0);  // MTA offers no SMFIP_SKIP
  mta.send('M', "<a@example.org>\0"s);
  EXPECT_EQ(mta.reply(), "c");
  mta.send('B', "one");
  EXPECT_EQ(mta.reply(), "c");
  mta.send('B', "two");
  EXPECT_EQ(mta.reply(), "c");
  mta.send('E', "");
  EXPECT_EQ(mta.reply()[0], 'h');
  EXPECT_EQ(mta.reply(), "c");
  EXPECT_EQ(journal_.take(), (std::vector<std::string>{"mail <a@example.org> auth=-", "body 3", "eom none"}));
}

TEST_P(MilterSession, SkipSentWhenNegotiated) {
  behaviour_.body_reply = Reply::skip();
  ServerOptions options;
  options.capabilities.steps = Step::skip;
  start(options);
  Mta mta(port_);
  mta.negotiate();
  mta.send('B', "one");
  EXPECT_EQ(mta.reply(), "s");
}

// Under SMFIP_NR_BODY the MTA reads no reply to a chunk: a skip must not be sent
// (it would be read as the reply to end of message), only the chunks stop.
TEST_P(MilterSession, SkipUnderNoReplyBodyIsSilent) {
  behaviour_.body_reply = Reply::skip();
  ServerOptions options;
  options.capabilities.steps = Step::skip | Step::no_reply_body;
  start(options);
  Mta mta(port_);
  mta.negotiate();
  mta.send('M', "<a@example.org>\0"s);
  EXPECT_EQ(mta.reply(), "c");
  mta.send('B', "one");
  mta.send('B', "two");
  mta.send('E', "");
  EXPECT_EQ(mta.reply()[0], 'h');
  EXPECT_EQ(mta.reply(), "c");
  EXPECT_EQ(journal_.take(), (std::vector<std::string>{"mail <a@example.org> auth=-", "body 3", "eom none"}));
}

TEST_P(MilterSession, HandlerFailureAnswersTempfail) {
  behaviour_.throw_at_rcpt = true;
  start();
  Mta mta(port_);
  mta.negotiate();
  mta.send('M', "<a@example.org>\0"s);
  EXPECT_EQ(mta.reply(), "c");
  mta.send('R', "<b@example.net>\0"s);
  EXPECT_EQ(mta.reply(), "t");
  mta.send('R', "<c@example.net>\0"s);  // the connection goes on
  EXPECT_EQ(mta.reply(), "t");
}

TEST_P(MilterSession, ModificationNotNegotiatedAnswersTempfail) {
  behaviour_.modifications.push_back(Quarantine{"suspicious"});  // needs SMFIF_QUARANTINE, not asked for
  start();
  Mta mta(port_);
  mta.negotiate();
  mta.send('E', "");
  EXPECT_EQ(mta.reply(), "t");
}

TEST_P(MilterSession, ProgressWhileEndOfMessageIsSlow) {
  behaviour_.eom_delay = 350ms;
  ServerOptions options;
  options.progress_interval = 100ms;
  start(options);
  Mta mta(port_);
  mta.negotiate();
  mta.send('E', "");
  int progress = 0;
  std::string packet;
  while ((packet = mta.reply()) == "p") {
    ++progress;
  }
  EXPECT_GE(progress, 2);
  EXPECT_EQ(packet[0], 'h');
  EXPECT_EQ(mta.reply(), "c");
}

struct Fatal {
  const char* name;
  std::string bytes;  // sent after negotiation (or instead of it when negotiate is false)
  bool negotiate;
};

class MilterSessionCloses : public MilterSessionBase, public ::testing::WithParamInterface<std::tuple<Fatal, bool>> {
 protected:
  MilterSessionCloses() { one_thread_ = std::get<1>(GetParam()); }
};

TEST_P(MilterSessionCloses, TheConnection) {
  start();
  Mta mta(port_);
  const auto& fatal = std::get<0>(GetParam());
  if (fatal.negotiate) {
    mta.negotiate();
  }
  mta.raw(fatal.bytes);
  // Commands before the bad one are answered; then the server hangs up.
  std::string packet;
  for (int i = 0; i < 3 && packet != "EOF"; ++i) {
    packet = mta.reply();
    EXPECT_TRUE(packet == "c" || packet == "EOF") << packet;
  }
  EXPECT_EQ(packet, "EOF");
}

INSTANTIATE_TEST_SUITE_P(
    Protocol, MilterSessionCloses,
    ::testing::Combine(::testing::Values(
        Fatal{"garbage", "GET / HTTP/1.0\r\n\r\n", true},                  // length 0x47455420: oversize
        Fatal{"oversize", "\x00\x10\x00\x02" "B"s, true},
        Fatal{"zero_length", "\x00\x00\x00\x00"s, true},
        Fatal{"unknown_command", "\x00\x00\x00\x01" "Z"s, true},
        Fatal{"malformed_connect", "\x00\x00\x00\x04" "Cab\0"s, true},
        Fatal{"command_before_optneg", "\x00\x00\x00\x01" "T"s, false},
        Fatal{"second_optneg", "\x00\x00\x00\x01" "T" "\x00\x00\x00\x0d" "O" "\x00\x00\x00\x06"s +
                                   std::string(8, '\0'), true},
        Fatal{"connect_twice", "\x00\x00\x00\x04" "Ch\0U" "\x00\x00\x00\x04" "Ch\0U"s, true}),
                       ::testing::Bool()),
    [](const auto& p) { return std::string(std::get<0>(p.param).name) + "_" + threads_name(std::get<1>(p.param)); });

TEST_P(MilterSession, StalledPeerIsTimedOut) {
  ServerOptions options;
  options.stall_timeout = 200ms;
  start(options);
  Mta mta(port_);
  mta.negotiate();
  const auto begin = std::chrono::steady_clock::now();
  mta.raw("\x00\x00\x00\x10" "H" "half"s);  // promises 16 bytes, sends 5
  EXPECT_EQ(mta.reply(), "EOF");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);
}

TEST_P(MilterSession, TrickledPacketIsCutAtStallTimeoutFromItsStart) {
  ServerOptions options;
  options.stall_timeout = 500ms;
  start(options);
  Mta mta(port_);
  mta.negotiate();
  const std::string packet = "\x00\x00\x00\x40" "H"s + std::string(63, 'x');
  const auto begin = std::chrono::steady_clock::now();
  std::thread trickle([&] {  // one byte per 50 ms: each read would restart a per-read timeout
    for (char octet : packet) {
      if (::send(mta.native_handle(), &octet, 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(50ms);
    }
  });
  EXPECT_EQ(mta.reply(), "EOF");
  const auto cut = std::chrono::steady_clock::now() - begin;
  trickle.join();
  EXPECT_GE(cut, 450ms);
  EXPECT_LT(cut, 2s);  // the whole packet would take 3.4 s
}

TEST_P(MilterSession, ConnectionOverTheCapIsClosedAndSessionsInProgressGoOn) {
  ServerOptions options;
  options.max_connections = 1;
  start(options);
  Mta first(port_);
  first.negotiate();
  Mta second(port_);
  EXPECT_EQ(second.reply(), "EOF");
  connect_and_helo(first);
  first.send('Q', "");
  EXPECT_EQ(first.reply(), "EOF");
  for (int i = 0; i < 100 && server_->active_sessions() != 0; ++i) std::this_thread::sleep_for(10ms);
  Mta third(port_);  // the slot is free again
  third.negotiate();
}

TEST_P(MilterSession, StopClosesIdleSessionsAtOnceAndOthersAfterTheirMessage) {
  start();
  Mta idle(port_);
  idle.negotiate();
  connect_and_helo(idle);
  Mta busy(port_);
  busy.negotiate();
  connect_and_helo(busy);
  busy.send('M', "<a@example.org>\0"s);
  EXPECT_EQ(busy.reply(), "c");
  asio::post(io_, [this] { server_->stop(); });
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_EQ(idle.reply(), "EOF");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);
  busy.send('E', "");
  EXPECT_EQ(busy.reply()[0], 'h');
  EXPECT_EQ(busy.reply(), "c");
  EXPECT_EQ(busy.reply(), "EOF");
}

TEST_P(MilterSession, IdlePeerIsTimedOut) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  start(options);
  Mta mta(port_);
  mta.negotiate();
  EXPECT_EQ(mta.reply(), "EOF");
}

TEST_P(MilterSession, SessionsCounted) {
  start();
  {
    Mta a(port_);
    Mta b(port_);
    a.negotiate();
    b.negotiate();
    EXPECT_EQ(server_->active_sessions(), 2u);
    a.send('Q', "");
    EXPECT_EQ(a.reply(), "EOF");
  }
  for (int i = 0; i < 100 && server_->active_sessions() != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server_->active_sessions(), 0u);
}

}  // namespace
INSTANTIATE_TEST_SUITE_P(Threads, MilterSession, ::testing::Bool(),
                         [](const auto& info) { return threads_name(info.param); });

}  // namespace domainauth::milter
