// One milter connection: reads packets, feeds them to its Conversation (the
// protocol, conversation.hpp), writes the replies, and keeps the timeouts, the
// progress packets and the drain at shutdown (see server.hpp for the contract).
// Reads untrusted bytes.
//
// Timeouts: idle_timeout while no packet has begun; stall_timeout from the
// moment a packet's first bytes are waited on to its last byte (a peer sending
// one byte a second gains nothing), and for each write. The session only
// writes its deadline down; the server's sweep (one timer for all sessions,
// every Shared::sweep_interval()) signals it when the deadline has passed, so
// a timeout strikes up to one interval late and costs no timer operation per
// packet. The same sweep says when SMFIR_PROGRESS is due while the handler's
// end of message runs. At stop() a session between messages (no packet begun,
// no message in progress) is closed at once; one in a message is closed when
// that message ends.
//
// Replies are queued by the conversation and written without waiting (unless
// the socket buffer is full) before the next read or end of message: a batch of
// packets read together is handled with no suspension. (Waiting for readiness
// before reading, to spare the read that finds nothing after each batch, costs
// Asio an epoll_ctl re-arm per wait instead: measured, no fewer system calls.)
#include "milter/session.hpp"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <optional>

#include "milter/conversation.hpp"

namespace domainauth::milter {

namespace {

using Clock = std::chrono::steady_clock;

class Session final : public std::enable_shared_from_this<Session>, public Output {
 public:
  Session(Socket socket, std::shared_ptr<Server::Shared> shared, std::string peer)
      : socket_(std::move(socket)), shared_(std::move(shared)), peer_(std::move(peer)),
        conversation_(shared_->options, shared_->factory, peer_, *this, socket_.get_executor()) {
    ++shared_->sessions;
    asio::error_code ec;
    socket_.non_blocking(true, ec);  // progress packets are written without waiting (send_progress)
  }
  ~Session() override {
    shared_->remove(clock_);
    --shared_->sessions;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Registers with the server (its sweep and stop()) and starts reading.
  void start();

  void write(std::string_view bytes) override { pending_.append(bytes); }
  void end_of_message_running(bool running) override;

 private:
  [[nodiscard]] const ServerOptions& options() const { return shared_->options; }
  void set_deadline(Clock::time_point deadline) {
    clock_.deadline.store(SessionClock::ticks(deadline), std::memory_order_relaxed);
  }
  void clear_deadline() { clock_.deadline.store(SessionClock::kNever, std::memory_order_relaxed); }
  // On the session's executor: the sweep found the deadline or a progress packet due.
  void due();
  void send_progress();
  // The server is stopping: close now when between messages, else after this message.
  void drain();
  void close();
  asio::awaitable<void> run(std::shared_ptr<Session> self);
  asio::awaitable<void> serve();
  // Writes what the conversation queued; false: the connection is gone (logged).
  asio::awaitable<bool> flush();

  Socket socket_;
  SessionClock clock_;
  bool timed_out_ = false;
  bool eom_running_ = false;
  std::optional<Clock::time_point> packet_start_;  // set while a packet is partly read
  bool draining_ = false;      // stop(): close once no message is in progress
  bool waiting_idle_ = false;  // reading, between messages, no packet begun
  bool drained_ = false;       // closed by drain()
  std::shared_ptr<Server::Shared> shared_;
  std::string peer_;
  FrameReader reader_;
  std::string pending_;        // replies queued by the conversation, not yet written
  Conversation conversation_;  // last: its handler may refer to the members above
};

void Session::start() {
  const auto executor = socket_.get_executor();
  clock_.post = [executor, weak = weak_from_this()](SessionClock::Signal signal) {
    asio::post(executor, [weak, signal] {
      if (auto alive = weak.lock()) {
        signal == SessionClock::Signal::drain ? alive->drain() : alive->due();
      }
    });
  };
  shared_->add(clock_);
  asio::co_spawn(executor, run(shared_from_this()), asio::detached);
}

// ---------------------------------------------------------------- timeouts and progress

void Session::due() {
  const auto now = SessionClock::ticks(Clock::now());
  if (!socket_.is_open()) return;
  if (clock_.deadline.load(std::memory_order_relaxed) <= now) {
    timed_out_ = true;
    conversation_.log_failure("timeout", reader_.partial() ? "peer stalled in the middle of a packet"
                                                           : "no command from the peer in time");
    close();
  } else if (eom_running_ && clock_.progress_due.load(std::memory_order_relaxed) <= now) {
    send_progress();
  }
}

void Session::end_of_message_running(bool running) {
  eom_running_ = running;
  const auto interval = options().progress_interval;
  clock_.progress_due.store(running && interval.count() > 0 ? SessionClock::ticks(Clock::now() + interval)
                                                            : SessionClock::kNever,
                            std::memory_order_relaxed);
}

// While the handler's end of message runs nothing else is written, so the
// packet goes out at once, without waiting: a full socket buffer (the MTA does
// not read) skips it until the next interval; a partial write cannot be
// finished without mixing it with the reply, so the connection is closed.
void Session::send_progress() {
  static const std::string packet = encode_progress();
  asio::error_code ec;
  const auto n = socket_.write_some(asio::buffer(packet), ec);
  const bool skipped = ec == asio::error::would_block || ec == asio::error::try_again;
  if (!skipped && (ec || n != packet.size())) {
    conversation_.log_failure("write_error", ec ? ec.message() : "progress packet written in part");
    close();
    return;
  }
  end_of_message_running(true);  // the next one an interval from now
}

void Session::drain() {
  draining_ = true;
  if (waiting_idle_ && socket_.is_open()) {
    drained_ = true;
    spdlog::info("milter: peer={} event=closed detail=\"idle connection closed at shutdown\"", peer_);
    close();
  }
}

void Session::close() {
  asio::error_code ec;
  socket_.close(ec);  // the only descriptor of the connection: the peer sees the end at once
}

// ---------------------------------------------------------------- I/O

asio::awaitable<bool> Session::flush() {
  if (pending_.empty()) co_return true;
  asio::error_code ec;
  std::size_t written = socket_.write_some(asio::buffer(pending_), ec);  // the socket does not block
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec = {};
    written = 0;
  }
  if (!ec && written < pending_.size()) {
    set_deadline(Clock::now() + options().stall_timeout);
    const auto rest = asio::buffer(pending_.data() + written, pending_.size() - written);
    co_await asio::async_write(socket_, rest, asio::redirect_error(asio::use_awaitable, ec));
    clear_deadline();
  }
  pending_.clear();
  if (ec) {
    if (!timed_out_) {
      conversation_.log_failure("write_error", ec.message());
    }
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> Session::run(std::shared_ptr<Session> /*self*/) {
  try {
    co_await serve();
  } catch (const std::exception& e) {
    conversation_.log_failure("internal_error", e.what());
  }
  close();
}

asio::awaitable<void> Session::serve() {
  while (true) {
    auto next = reader_.next();
    if (next.status == FrameReader::Status::error) {
      conversation_.log_failure(to_string(next.error.code), next.error.detail);
      co_return;
    }
    if (next.status == FrameReader::Status::frame) {
      packet_start_.reset();
      auto command = decode(next.frame);
      if (!command.ok()) {
        conversation_.log_failure(to_string(command.error().code), command.error().detail);
        co_return;
      }
      bool go_on = true;
      if (const auto* eom = std::get_if<EndOfMessage>(&command.value())) {
        go_on = co_await flush();  // statements: g++ 12 miscompiles co_await inside && and ?:
        if (go_on) {
          go_on = co_await conversation_.end_of_message(*eom);
        }
      } else {
        go_on = conversation_.handle(command.value());
      }
      if (!go_on) {
        co_await flush();  // what was answered before the end
        co_return;
      }
      continue;
    }
    if (!co_await flush()) {
      co_return;
    }
    const bool between_messages = !reader_.partial() && !conversation_.in_message();
    if (between_messages && draining_) {
      spdlog::info("milter: peer={} event=closed detail=\"closed at shutdown between messages\"", peer_);
      co_return;
    }
    if (reader_.partial()) {
      if (!packet_start_) {
        packet_start_ = Clock::now();
      }
      set_deadline(*packet_start_ + options().stall_timeout);  // from the packet's start, not the last byte
    } else {
      set_deadline(Clock::now() + options().idle_timeout);
    }
    const auto space = reader_.prepare();
    asio::error_code ec;
    waiting_idle_ = between_messages;
    const std::size_t n = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                                           asio::redirect_error(asio::use_awaitable, ec));
    waiting_idle_ = false;
    clear_deadline();
    if (ec) {
      if (timed_out_ || drained_) {
        co_return;
      }
      if (ec != asio::error::eof) {
        conversation_.log_failure("read_error", ec.message());
      } else if (reader_.partial() || conversation_.in_message()) {
        conversation_.log_failure("peer_closed",
                                  reader_.partial() ? "in the middle of a packet" : "in the middle of a message");
      }
      co_return;
    }
    reader_.commit(n);
  }
}

}  // namespace

void start_session(Socket socket, std::shared_ptr<Server::Shared> shared, std::string peer) {
  std::make_shared<Session>(std::move(socket), std::move(shared), std::move(peer))->start();
}

}  // namespace domainauth::milter
