// Test helper: a scripted SMTP relay on 127.0.0.1 (RFC 5321 replies only as
// far as libcurl needs them) serving one session per serve() call.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace domainauth::report::testing {

// A listening socket on 127.0.0.1 with a kernel-chosen port.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), size) != 0 || listen(fd, 1) != 0) return;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
    port = ntohs(a.sin_port);
  }
  ~Listener() { close(fd); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
};

// Serves one SMTP session; RCPT TO of rejected gets 550. data receives the DATA text.
inline void serve(int listener, const std::string& rejected, std::string& data) {
  const int fd = accept(listener, nullptr, nullptr);
  std::string in;
  auto say = [&](const std::string& line) { (void)!write(fd, line.data(), line.size()); };
  auto line = [&]() -> std::string {
    for (;;) {
      if (auto end = in.find("\r\n"); end != std::string::npos) {
        std::string l = in.substr(0, end);
        in.erase(0, end + 2);
        return l;
      }
      char buffer[4096];
      const auto n = read(fd, buffer, sizeof buffer);
      if (n <= 0) return "QUIT";
      in.append(buffer, static_cast<std::size_t>(n));
    }
  };
  say("220 relay.test ESMTP\r\n");
  for (std::string l = line(); l != "QUIT"; l = line()) {
    if (l.rfind("EHLO", 0) == 0) say("250-relay.test\r\n250 8BITMIME\r\n");
    else if (l.rfind("RCPT TO:", 0) == 0 && l.find(rejected) != std::string::npos) say("550 5.1.1 no such user\r\n");
    else if (l == "DATA") {
      say("354 go ahead\r\n");
      for (std::string d = line(); d != "." && d != "QUIT"; d = line()) data += d + "\r\n";
      say("250 2.0.0 queued\r\n");
    } else say("250 2.0.0 ok\r\n");
  }
  say("221 bye\r\n");
  close(fd);
}

}  // namespace domainauth::report::testing
