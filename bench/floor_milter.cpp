// The floor of the Postfix benchmark: the least a milter can do at Postfix's
// cadence. One thread, one epoll set, non-blocking unix sockets; it agrees to
// the same protocol steps as domainauth (so Postfix sends the same packets),
// checks nothing and answers from canned bytes: continue to body chunks when
// the MTA waits for it (not under SMFIP_NR_BODY), and at end of message one inserted header field of a DKIM signature's size and
// continue. What domainauth costs beyond the cryptography is compared with
// what this costs (bench/postfix/run.py). Usage: floor_milter SOCKET_PATH.
// Reads bytes from Postfix only; no checks of them beyond the framing.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>

#include "milter/protocol.hpp"

namespace {

using domainauth::milter::Action;
using domainauth::milter::Step;

// What domainauth's milter asks for (milter::engine_capabilities()), by the
// protocol's names only: the floor links none of domainauth's code.
constexpr std::uint32_t kActions = (Action::add_headers | Action::change_headers | Action::quarantine).bits();
constexpr std::uint32_t kSteps =
    (Step::no_rcpt | Step::no_data | Step::no_unknown | Step::no_reply_connect | Step::no_reply_helo |
     Step::no_reply_mail | Step::no_reply_header | Step::no_reply_end_of_headers | Step::no_reply_body |
     Step::header_leading_space | Step::skip)
        .bits();
constexpr std::uint32_t kNoReplyBody = static_cast<std::uint32_t>(Step::no_reply_body);

std::string be32(std::uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }
std::string packet(char code, const std::string& payload) { return be32(payload.size() + 1) + code + payload; }

const std::string kContinue = packet('c', "");
const std::string kEndOfMessage =
    packet('i', be32(0) + "X-Floor" + '\0' + std::string(440, 'x') + '\0') + kContinue;

struct Connection {
  std::string in;
  std::uint32_t steps = 0;
};

void send_all(int fd, const std::string& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const auto n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;  // the MTA went away: its next read fails
    at += static_cast<std::size_t>(n);
  }
}

// Handles the whole packets read so far; false: close.
bool handle(int fd, Connection& c) {
  std::size_t at = 0;
  std::string out;
  bool open = true;
  while (c.in.size() - at >= 5) {
    const auto* p = reinterpret_cast<const unsigned char*>(c.in.data() + at);
    const std::uint32_t length = (std::uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    if (length == 0 || length > (1u << 20)) return false;
    if (c.in.size() - at < 4 + length) break;
    const char code = static_cast<char>(p[4]);
    if (code == 'O' && length >= 13) {
      const std::uint32_t offered = (std::uint32_t{p[13]} << 24) | (p[14] << 16) | (p[15] << 8) | p[16];
      c.steps = kSteps & offered;
      out += packet('O', be32(6) + be32(kActions) + be32(c.steps));
    } else if (code == 'B' && (c.steps & kNoReplyBody) == 0) {
      out += kContinue;
    } else if (code == 'E') {
      out += kEndOfMessage;
    } else if (code == 'Q') {
      open = false;
    }
    at += 4 + length;
  }
  c.in.erase(0, at);
  if (!out.empty()) send_all(fd, out);
  return open;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: floor_milter SOCKET_PATH\n");
    return 2;
  }
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, argv[1], sizeof(address.sun_path) - 1);
  ::unlink(argv[1]);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(listener, 256) != 0) {
    std::perror("floor_milter: bind");
    return 1;
  }
  ::chmod(argv[1], 0666);
  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{EPOLLIN, {.fd = listener}};
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  std::unordered_map<int, Connection> connections;
  epoll_event ready[64];
  char buffer[65536 + 16];
  for (;;) {
    const int n = ::epoll_wait(epoll, ready, 64, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == listener) {
        const int client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) continue;
        epoll_event e{EPOLLIN, {.fd = client}};
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, client, &e);
        connections[client];
        continue;
      }
      const auto got = ::recv(fd, buffer, sizeof(buffer), 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      auto& c = connections[fd];
      if (got > 0) c.in.append(buffer, static_cast<std::size_t>(got));
      if (got <= 0 || !handle(fd, c)) {
        ::close(fd);  // leaves the epoll set with it
        connections.erase(fd);
      }
    }
  }
}
