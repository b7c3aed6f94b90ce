// A milter load generator without an MTA: SESSIONS concurrent clients speak to a
// milter's unix socket as Postfix 3.7 does (bench/postfix_wire.hpp: one message
// per connection; a reply is awaited where the negotiated steps want one, events
// the milter declined are not sent), COUNT messages in all, and report each
// message's latency: the session (connect to the final end-of-message reply) and
// the end of data (the first body packet sent to that reply: what an MTA waits
// for once the message is in). Without Postfix's own processes on the cores the
// figures show what the milter adds, e.g. whether one session's RSA signature
// holds up the others (issue 20, item 4). Used by bench/postfix/run.py --load.
// Usage: milter_load SOCKET MESSAGE_FILE CLIENT_IP SENDER SESSIONS COUNT
// (MESSAGE_FILE with LF or CRLF line ends); prints one JSON object.
// Reads bytes from the milter under test: a packet it cannot frame, or a
// connection lost, counts as an error for that message.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "milter/protocol.hpp"
#include "postfix_wire.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Packet {
  char code;
  char stage;  // the macro stage of a 'D' packet
  std::string bytes;
};

std::vector<Packet> split_packets(const std::string& wire) {
  std::vector<Packet> out;
  for (std::size_t at = 0; at + 5 <= wire.size();) {
    const auto* p = reinterpret_cast<const unsigned char*>(wire.data() + at);
    const std::uint32_t length = (std::uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    out.push_back({wire[at + 4], length > 1 ? wire[at + 5] : '\0', wire.substr(at, 4 + length)});
    at += 4 + length;
  }
  return out;
}

using domainauth::milter::Step;
using domainauth::milter::Steps;

// The steps by which the MTA leaves an event out (no) or sends it without
// awaiting a reply (nr); none for the other packets.
struct StepBits {
  Steps no;
  Steps nr;
};
StepBits step_bits(char code) {
  switch (code) {
    case 'C': return {Step::no_connect, Step::no_reply_connect};
    case 'H': return {Step::no_helo, Step::no_reply_helo};
    case 'M': return {Step::no_mail, Step::no_reply_mail};
    case 'R': return {Step::no_rcpt, Step::no_reply_rcpt};
    case 'T': return {Step::no_data, Step::no_reply_data};
    case 'L': return {Step::no_headers, Step::no_reply_header};
    case 'N': return {Step::no_end_of_headers, Step::no_reply_end_of_headers};
    case 'B': return {Step::no_body, Step::no_reply_body};
    default: return {};
  }
}

bool write_all(int fd, const std::string& bytes) {
  for (std::size_t at = 0; at < bytes.size();) {
    const auto n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

bool read_exact(int fd, char* out, std::size_t n) {
  for (std::size_t at = 0; at < n;) {
    const auto got = ::read(fd, out + at, n - at);
    if (got <= 0) return false;
    at += static_cast<std::size_t>(got);
  }
  return true;
}

// One reply packet: its code and payload; code 0 when the connection failed.
std::pair<char, std::string> read_packet(int fd) {
  unsigned char head[4];
  if (!read_exact(fd, reinterpret_cast<char*>(head), 4)) return {0, {}};
  const std::uint32_t length = (std::uint32_t{head[0]} << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
  if (length == 0 || length > (1u << 24)) return {0, {}};
  std::string payload(length, '\0');
  if (!read_exact(fd, payload.data(), length)) return {0, {}};
  const char code = payload[0];
  return {code, payload.substr(1)};
}

bool is_final(char code) { return std::strchr("acrtdsy", code) != nullptr; }

struct Result {
  double session_ms;
  double end_of_data_ms;
  char final_reply;  // 0: the session failed
};

Result one_session(const std::string& socket_path, const std::vector<Packet>& packets) {
  const auto start = Clock::now();
  Result r{0, 0, 0};
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return r;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return r;
  }
  Steps steps;
  Clock::time_point body_start{};
  bool ok = true;
  for (std::size_t i = 0; ok && i < packets.size(); ++i) {
    const Packet& p = packets[i];
    if (p.code == 'D') {  // macros go only with an event that is sent
      if (!(step_bits(p.stage).no & steps).empty()) continue;
      ok = write_all(fd, p.bytes);
      continue;
    }
    const StepBits bits = step_bits(p.code);
    if (!(bits.no & steps).empty()) continue;
    if ((p.code == 'B' || p.code == 'E') && body_start == Clock::time_point{}) body_start = Clock::now();
    if (!(ok = write_all(fd, p.bytes))) break;
    if (p.code == 'Q') break;
    if (p.code == 'O') {
      const auto [code, payload] = read_packet(fd);
      ok = code == 'O' && payload.size() >= 12;
      if (ok) {
        const auto* s = reinterpret_cast<const unsigned char*>(payload.data() + 8);
        steps = Steps::from_bits((std::uint32_t{s[0]} << 24) | (s[1] << 16) | (s[2] << 8) | s[3]);
      }
      continue;
    }
    if (p.code != 'E' && !(bits.nr & steps).empty()) continue;
    char code = 0;
    do {  // modifications and progress packets precede the final reply
      code = read_packet(fd).first;
    } while (code != 0 && !is_final(code));
    ok = code != 0;
    if (ok && p.code == 'E') {
      const auto end = Clock::now();
      r = {std::chrono::duration<double, std::milli>(end - start).count(),
           std::chrono::duration<double, std::milli>(end - body_start).count(), code};
    }
  }
  ::close(fd);
  if (!ok) r.final_reply = 0;
  return r;
}

std::string percentiles(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  auto pick = [&](double q) {
    return values.empty() ? 0.0 : values[std::min(values.size() - 1, static_cast<std::size_t>(q * values.size()))];
  };
  char out[160];
  std::snprintf(out, sizeof(out), R"({"p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f})", pick(0.5), pick(0.9),
                pick(0.99), values.empty() ? 0.0 : values.back());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: milter_load SOCKET MESSAGE_FILE CLIENT_IP SENDER SESSIONS COUNT\n");
    return 2;
  }
  const std::string socket_path = argv[1];
  std::ifstream file(argv[2], std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "milter_load: cannot read %s\n", argv[2]);
    return 1;
  }
  std::stringstream read;
  read << file.rdbuf();
  std::string message;
  for (const char c : read.str()) {  // LF -> CRLF (a CR already there stays single)
    if (c == '\n' && (message.empty() || message.back() != '\r')) message += '\r';
    message += c;
  }
  const auto packets = split_packets(domainauth::bench::postfix_session(message, argv[3], argv[4]));
  const int sessions = std::max(1, std::atoi(argv[5]));
  const int count = std::max(1, std::atoi(argv[6]));

  std::atomic<int> next{0};
  std::mutex lock;
  std::vector<Result> results;
  results.reserve(static_cast<std::size_t>(count));
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < sessions; ++t) {
    threads.emplace_back([&] {
      std::vector<Result> mine;
      while (next.fetch_add(1) < count) mine.push_back(one_session(socket_path, packets));
      const std::lock_guard<std::mutex> guard(lock);
      results.insert(results.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> session_ms, end_of_data_ms;
  std::map<char, int> finals;
  int errors = 0;
  for (const auto& r : results) {
    if (r.final_reply == 0) {
      ++errors;
      continue;
    }
    ++finals[r.final_reply];
    session_ms.push_back(r.session_ms);
    end_of_data_ms.push_back(r.end_of_data_ms);
  }
  std::string replies;
  for (const auto& [code, n] : finals) {
    if (!replies.empty()) replies += ", ";
    replies.append(1, '"').append(1, code).append("\": ").append(std::to_string(n));
  }
  std::printf(R"({"messages": %zu, "errors": %d, "seconds": %.3f, "messages_per_s": %.1f, "final_replies": {%s}, )"
              R"("session_ms": %s, "end_of_data_ms": %s})" "\n",
              session_ms.size(), errors, seconds, static_cast<double>(session_ms.size()) / seconds, replies.c_str(),
              percentiles(session_ms).c_str(), percentiles(end_of_data_ms).c_str());
  return errors == 0 ? 0 : 1;
}
