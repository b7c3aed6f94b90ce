// A load generator for the Postfix policy delegation protocol (Postfix's
// SMTPD_POLICY_README: name=value lines, a request ends with an empty line, the
// reply is "action=..." and an empty line). It replays a file of requests over
// many concurrent connections, one request in flight per connection as Postfix's
// smtpd does, and prints JSON: requests, errors, requests/s, latency percentiles,
// the actions seen, and its own CPU time (to show it was not the bottleneck).
// Reads untrusted input: the server's replies (each capped at kMaxReply octets).
#include <sys/resource.h>

#include <algorithm>
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kMaxReply = 4096;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  std::string port;
  std::string requests_file;
  int connections = 50;
  int repeat = 1;
};

struct Run {
  std::vector<std::string> requests;
  std::size_t next = 0;
  std::size_t total = 0;
  std::vector<double> latency_ms;
  std::map<std::string, std::size_t> actions;
  std::size_t errors = 0;
  std::size_t reconnects = 0;
};

std::vector<std::string> read_requests(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  std::vector<std::string> out;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find("\n\n", at);
    if (end == std::string::npos) break;
    out.push_back(text.substr(at, end + 2 - at));
    at = end + 2;
  }
  return out;
}

asio::awaitable<void> worker(asio::ip::tcp::resolver::results_type endpoints, Run& run) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::socket socket(executor);
  bool connected = false;
  asio::streambuf reply(kMaxReply);
  while (run.next < run.total) {
    const std::string& request = run.requests[run.next++ % run.requests.size()];
    auto started = Clock::now();
    try {
      if (!connected) {
        co_await asio::async_connect(socket, endpoints, asio::use_awaitable);
        socket.set_option(asio::ip::tcp::no_delay(true));
        connected = true;
      }
      co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
      std::size_t n = co_await asio::async_read_until(socket, reply, "\n\n", asio::use_awaitable);
      std::string text(asio::buffers_begin(reply.data()), asio::buffers_begin(reply.data()) + static_cast<long>(n));
      reply.consume(n);
      run.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
      if (text.rfind("action=", 0) != 0) {
        ++run.errors;
        continue;
      }
      std::string action = text.substr(7, text.find_first_of(" \n", 7) - 7);
      ++run.actions[action];
    } catch (const std::exception&) {
      ++run.errors;
      ++run.reconnects;
      socket.close();
      connected = false;
      reply.consume(reply.size());
    }
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--connect") {
      auto colon = v.rfind(':');
      if (colon == std::string::npos) return false;
      o.host = v.substr(0, colon);
      o.port = v.substr(colon + 1);
    } else if (k == "--requests") {
      o.requests_file = v;
    } else if (k == "--connections") {
      o.connections = std::stoi(v);
    } else if (k == "--repeat") {
      o.repeat = std::stoi(v);
    } else {
      return false;
    }
  }
  return !o.port.empty() && !o.requests_file.empty() && o.connections > 0 && o.repeat > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc % 2 == 0 || !parse_args(argc, argv, o)) {
    std::cerr << "usage: policy_client --connect HOST:PORT --requests FILE [--connections N] [--repeat N]\n";
    return 1;
  }
  Run run;
  run.requests = read_requests(o.requests_file);
  if (run.requests.empty()) {
    std::cerr << "policy_client: no requests in " << o.requests_file << "\n";
    return 1;
  }
  run.total = run.requests.size() * static_cast<std::size_t>(o.repeat);
  run.latency_ms.reserve(run.total);
  asio::io_context io(1);
  auto endpoints = asio::ip::tcp::resolver(io).resolve(o.host, o.port);
  for (int i = 0; i < o.connections; ++i) asio::co_spawn(io, worker(endpoints, run), asio::detached);
  double cpu_before = cpu_seconds();
  auto started = Clock::now();
  io.run();
  double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  double cpu = cpu_seconds() - cpu_before;
  std::size_t answered = run.latency_ms.size();
  std::printf("{\"requests\": %zu, \"answered\": %zu, \"errors\": %zu, \"reconnects\": %zu, \"connections\": %d, "
              "\"seconds\": %.3f, \"requests_per_s\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, "
              "\"client_cpu_s\": %.3f, \"actions\": {",
              run.total, answered, run.errors, run.reconnects, o.connections, elapsed,
              static_cast<double>(answered) / elapsed, percentile(run.latency_ms, 0.50),
              percentile(run.latency_ms, 0.99), percentile(run.latency_ms, 1.0), cpu);
  bool first = true;
  for (const auto& [action, count] : run.actions) {
    std::printf("%s\"%s\": %zu", first ? "" : ", ", action.c_str(), count);
    first = false;
  }
  std::printf("}}\n");
  return 0;
}
