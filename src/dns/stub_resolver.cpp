// StubResolver: a caching stub resolver on the Asio event loop (see stub_resolver.hpp).
#include "dns/stub_resolver.hpp"

#include <stdlib.h>  // arc4random_buf (glibc 2.36, the BSDs)

#include <algorithm>
#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <span>
#include <unordered_map>

#include "dns/message.hpp"
#include "metrics/counters.hpp"
#include "net/asio_address.hpp"

namespace domainauth::dns {

namespace {

using Clock = std::chrono::steady_clock;

metrics::DnsStatus metric_status(Status status) {
  switch (status) {
    case Status::answer: return metrics::DnsStatus::answer;
    case Status::nxdomain: return metrics::DnsStatus::nxdomain;
    case Status::nodata: return metrics::DnsStatus::nodata;
    case Status::servfail: return metrics::DnsStatus::servfail;
    case Status::timeout: return metrics::DnsStatus::timeout;
  }
  return metrics::DnsStatus::servfail;
}

using asio::ip::tcp;
using asio::ip::udp;

// RFC 6891: we advertise 1232 octets; a datagram that fills this buffer is asked
// again over TCP, as it may have been cut.
constexpr std::size_t max_udp_message = 4096;
constexpr std::chrono::milliseconds min_retry_interval{50};
constexpr std::size_t max_cname_restarts = 8;
// A socket older than this is replaced too, so that a quiet resolver's source
// port does not stay the same for long (RFC 5452 9.2).
constexpr std::chrono::seconds socket_lifetime{10};

std::string cache_key(const Question& question) {
  std::string key(question.name.begin(), question.name.end());
  key.push_back(static_cast<char>(static_cast<std::uint16_t>(question.type) >> 8));
  key.push_back(static_cast<char>(static_cast<std::uint16_t>(question.type) & 0xff));
  return key;
}

}  // namespace

struct StubResolver::State : std::enable_shared_from_this<State> {
  struct Lookup;

  // One connected UDP socket to one server and the queries waiting on it, by ID.
  struct Channel {
    Channel(const asio::any_io_executor& executor, std::size_t to) : socket(executor), server(to) {}
    udp::socket socket;
    std::size_t server;
    Clock::time_point opened = Clock::now();
    unsigned sent = 0;
    bool receiving = false;
    std::unordered_map<std::uint16_t, Lookup*> waiting;
    std::vector<std::uint8_t> buffer;
  };

  // One query over TCP (RFC 1035 4.2.2: two-octet length, then the message).
  struct Stream {
    enum class Stage : std::uint8_t { connect, write, length, body };
    explicit Stream(const asio::any_io_executor& executor) : socket(executor) {}
    tcp::socket socket;
    Stage stage = Stage::connect;
    std::vector<std::uint8_t> message;  // the query with its length, then the reply
    std::array<std::uint8_t, 2> length{};
  };

  // One name and type being resolved, for every handler that asked meanwhile.
  struct Lookup {
    Lookup(const asio::any_io_executor& executor, std::string k, Question q)
        : key(std::move(k)), question(std::move(q)), timer(executor) {}
    std::string key;
    Question question;
    std::vector<Resolver::Handler> handlers;
    Clock::time_point deadline;
    asio::steady_timer timer;    // next retry, or the deadline
    std::size_t attempts = 0;    // sends so far: picks the next server
    std::uint64_t generation = 0;  // which wait the timer belongs to
    bool edns = true;
    // Every UDP send still waiting: a reply to an earlier one, from a slow
    // server, is as good as one to the latest.
    std::vector<std::pair<std::shared_ptr<Channel>, std::uint16_t>> sends;
    std::uint16_t id = 0;            // the latest send's, used over TCP too
    std::shared_ptr<Stream> stream;  // while asking over TCP
    std::string last_error;          // for the timeout's detail
    std::optional<Answer> failure;   // a server's SERVFAIL or REFUSED, if no other answer comes
    std::size_t restarts = 0;        // CNAME targets asked for after the server did not
    std::uint32_t ttl_cap = UINT32_MAX;  // the CNAMEs' TTL, once one was followed
    Clock::time_point started;           // for domainauth_dns_query_duration_seconds
  };

  struct Cached {
    Answer answer;
    Clock::time_point expires;
    std::size_t bytes;
  };

  State(asio::any_io_executor exec, std::vector<udp::endpoint> to, std::chrono::milliseconds limit)
      : executor(std::move(exec)),
        servers(std::move(to)),
        timeout(limit),
        retry_interval(std::max(limit / 4, min_retry_interval)),
        current(servers.size()) {}

  // Query IDs from the kernel's random source, fetched 256 at a time (glibc's
  // arc4random is one getrandom() call each).
  std::uint16_t random_id() {
    if (next_id == ids.size()) {
      arc4random_buf(ids.data(), sizeof(ids));
      next_id = 0;
    }
    return ids[next_id++];
  }

  void deliver(Resolver::Handler handler, Answer answer) {
    asio::post(executor, [handler = std::move(handler), answer = std::move(answer)]() mutable {
      handler(std::move(answer));
    });
  }

  void start(std::string_view name, RecordType type, Resolver::Handler handler);
  void send(Lookup& lookup);
  void wait(Lookup& lookup, Clock::time_point until);
  void on_timer(const std::string& key, std::uint64_t generation);
  std::shared_ptr<Channel> channel_for(std::size_t server, std::string& error);
  void arm(const std::shared_ptr<Channel>& channel);
  void on_datagram(const std::shared_ptr<Channel>& channel, const std::error_code& ec, std::size_t size);
  void on_reply(Lookup& lookup, const std::shared_ptr<Channel>& channel, std::uint16_t id,
                std::span<const std::uint8_t> message);
  void failed(Lookup& lookup, std::size_t server, Answer answer);
  void conclude(Lookup& lookup, Reply reply);
  void ask_over_tcp(Lookup& lookup, std::size_t server);
  void on_stream(const std::string& key, const std::shared_ptr<Stream>& stream, const std::error_code& ec,
                 std::size_t server);
  void detach(Lookup& lookup);
  void release(const std::shared_ptr<Channel>& channel, std::uint16_t id);
  void close(Channel& channel);
  void finish(Lookup& lookup, Answer answer, std::uint32_t ttl);
  void store(const std::string& key, const Answer& answer, std::uint32_t ttl);
  void shutdown();

  asio::any_io_executor executor;
  std::vector<udp::endpoint> servers;
  std::chrono::milliseconds timeout;
  std::chrono::milliseconds retry_interval;
  std::vector<std::shared_ptr<Channel>> current;  // per server: the socket new queries use
  std::size_t sockets_open = 0;
  std::uint64_t waits = 0;  // numbers the lookups' timer waits, so a stale expiry is known
  std::unordered_map<std::string, std::unique_ptr<Lookup>> lookups;
  std::unordered_map<std::string, Cached> cache;
  std::size_t cached_bytes = 0;
  std::array<std::uint16_t, 256> ids{};
  std::size_t next_id = ids.size();
};

void StubResolver::State::start(std::string_view name, RecordType type, Resolver::Handler handler) {
  std::string error;
  std::optional<Question> question = make_question(name, type, error);
  if (!question) {
    deliver(std::move(handler), servfail("cannot query " + std::string(name) + ": " + error));
    return;
  }
  std::string key = cache_key(*question);
  const Clock::time_point now = Clock::now();
  if (const auto hit = cache.find(key); hit != cache.end()) {
    if (hit->second.expires > now) {
      ++metrics::counters().dns_cache_hits;
      deliver(std::move(handler), hit->second.answer);
      return;
    }
    cached_bytes -= hit->second.bytes;
    cache.erase(hit);
  }
  if (const auto running = lookups.find(key); running != lookups.end()) {
    running->second->handlers.push_back(std::move(handler));
    return;
  }
  auto lookup = std::make_unique<Lookup>(executor, key, std::move(*question));
  lookup->handlers.push_back(std::move(handler));
  lookup->deadline = now + timeout;
  lookup->started = now;
  Lookup& started = *lookup;
  lookups.emplace(std::move(key), std::move(lookup));
  send(started);
}

// Sends the query over UDP to the next server in turn and waits for a reply
// until the next retry.
void StubResolver::State::send(Lookup& lookup) {
  const std::size_t server = lookup.attempts++ % servers.size();
  std::string error;
  if (const std::shared_ptr<Channel> channel = channel_for(server, error)) {
    std::uint16_t id = 0;
    do {
      id = random_id();
    } while (channel->waiting.contains(id));
    const std::vector<std::uint8_t> query = encode_query(lookup.question, id, lookup.edns);
    std::error_code ec;
    channel->socket.send(asio::buffer(query), 0, ec);
    ++channel->sent;
    if (ec) lookup.last_error = "sending to " + servers[server].address().to_string() + ": " + ec.message();
    channel->waiting.emplace(id, &lookup);
    lookup.sends.emplace_back(channel, id);
    lookup.id = id;
    if (lookup.sends.size() > servers.size() + 1) {  // the oldest send is given up
      release(lookup.sends.front().first, lookup.sends.front().second);
      lookup.sends.erase(lookup.sends.begin());
    }
    arm(channel);
  } else {
    lookup.last_error = std::move(error);
  }
  wait(lookup, std::min(lookup.deadline, Clock::now() + retry_interval));
}

void StubResolver::State::wait(Lookup& lookup, Clock::time_point until) {
  const std::uint64_t generation = lookup.generation = ++waits;
  lookup.timer.expires_at(until);
  lookup.timer.async_wait([weak = weak_from_this(), key = lookup.key, generation](const std::error_code& ec) {
    if (ec) return;
    if (const auto self = weak.lock()) self->on_timer(key, generation);
  });
}

void StubResolver::State::on_timer(const std::string& key, std::uint64_t generation) {
  const auto it = lookups.find(key);
  if (it == lookups.end() || it->second->generation != generation) return;  // a stale expiry
  Lookup& lookup = *it->second;
  if (Clock::now() < lookup.deadline) {
    send(lookup);
    return;
  }
  if (lookup.failure) {  // a server failed and no other answered
    finish(lookup, std::move(*lookup.failure), 0);
    return;
  }
  Answer answer;
  answer.status = Status::timeout;
  answer.detail = "no answer within " + std::to_string(timeout.count()) + " ms";
  if (!lookup.last_error.empty()) answer.detail += " (" + lookup.last_error + ")";
  finish(lookup, std::move(answer), 0);
}

std::shared_ptr<StubResolver::State::Channel> StubResolver::State::channel_for(std::size_t server,
                                                                                std::string& error) {
  std::shared_ptr<Channel>& slot = current[server];
  if (slot && slot->sent < queries_per_socket && Clock::now() - slot->opened < socket_lifetime) return slot;
  auto fresh = std::make_shared<Channel>(executor, server);
  std::error_code ec;
  // connect() binds the socket to a port the kernel picks at random.
  fresh->socket.open(servers[server].protocol(), ec);
  if (!ec) fresh->socket.connect(servers[server], ec);
  if (ec) {
    error = "cannot open a UDP socket to " + servers[server].address().to_string() + ": " + ec.message();
    return nullptr;
  }
  ++sockets_open;
  fresh->buffer.resize(max_udp_message);
  const std::shared_ptr<Channel> retired = std::exchange(slot, fresh);
  if (retired && retired->waiting.empty()) close(*retired);
  return slot;
}

// Receives while queries wait on the channel (only then, so that an io_context
// with nothing else to do returns from run()).
void StubResolver::State::arm(const std::shared_ptr<Channel>& channel) {
  if (channel->receiving || channel->waiting.empty() || !channel->socket.is_open()) return;
  channel->receiving = true;
  channel->socket.async_receive(
      asio::buffer(channel->buffer),
      [weak = weak_from_this(), channel](const std::error_code& ec, std::size_t size) {
        if (const auto self = weak.lock()) self->on_datagram(channel, ec, size);
      });
}

void StubResolver::State::on_datagram(const std::shared_ptr<Channel>& channel, const std::error_code& ec,
                                      std::size_t size) {
  channel->receiving = false;
  if (!ec && size >= 2) {
    const auto id = static_cast<std::uint16_t>((channel->buffer[0] << 8) | channel->buffer[1]);
    if (const auto it = channel->waiting.find(id); it != channel->waiting.end()) {
      on_reply(*it->second, channel, id, std::span(channel->buffer.data(), size));
    }
  } else if (ec && ec != asio::error::operation_aborted) {
    // An ICMP error (connection refused) names no query: it is noted on every
    // query waiting here, and they are retried when their timers say so.
    for (auto& [id, lookup] : channel->waiting) {
      lookup->last_error = servers[channel->server].address().to_string() + ": " + ec.message();
    }
  }
  arm(channel);
}

void StubResolver::State::on_reply(Lookup& lookup, const std::shared_ptr<Channel>& channel, std::uint16_t id,
                                   std::span<const std::uint8_t> message) {
  std::optional<Reply> reply = read_reply(message, lookup.question, id);
  if (!reply) return;  // not the reply to this query: keep waiting
  const std::size_t server = channel->server;
  // A datagram that fills the buffer may have been cut short: as if truncated.
  if (reply->truncated || message.size() == channel->buffer.size()) {
    lookup.id = id;
    ask_over_tcp(lookup, server);
    return;
  }
  if (reply->answer.status != Status::servfail) {
    conclude(lookup, std::move(*reply));
    return;
  }
  // A failure ends only this send: others may still answer.
  release(channel, id);
  std::erase(lookup.sends, std::pair(channel, id));
  if (reply->formerr && lookup.edns) {
    lookup.edns = false;
    lookup.attempts = server;  // the same server again, without EDNS0
    send(lookup);
    return;
  }
  failed(lookup, server, std::move(reply->answer));
}

// A server answered SERVFAIL, REFUSED or something unusable: the next server
// not asked yet is asked at once; when all were, the failure is the answer
// unless a send still waiting is answered (or the deadline comes first).
void StubResolver::State::failed(Lookup& lookup, std::size_t server, Answer answer) {
  lookup.last_error = servers[server].address().to_string() + ": " + answer.detail;
  lookup.failure = std::move(answer);
  if (lookup.attempts < servers.size()) {
    send(lookup);
  } else if (lookup.sends.empty() && !lookup.stream) {
    finish(lookup, std::move(*lookup.failure), 0);
  }
}

// A usable reply: the answer, or the next name of a CNAME chain to ask for.
void StubResolver::State::conclude(Lookup& lookup, Reply reply) {
  if (!reply.follow.empty()) {
    if (lookup.restarts == max_cname_restarts) {
      finish(lookup, servfail("CNAME chain longer than " + std::to_string(max_cname_restarts) + " lookups"), 0);
      return;
    }
    detach(lookup);
    ++lookup.restarts;
    lookup.ttl_cap = std::min(lookup.ttl_cap, reply.ttl);
    lookup.question.name = std::move(reply.follow);
    lookup.attempts = 0;
    send(lookup);
    return;
  }
  finish(lookup, std::move(reply.answer), std::min(reply.ttl, lookup.ttl_cap));
}

void StubResolver::State::ask_over_tcp(Lookup& lookup, std::size_t server) {
  detach(lookup);
  auto stream = std::make_shared<Stream>(executor);
  const std::vector<std::uint8_t> query = encode_query(lookup.question, lookup.id, lookup.edns);
  stream->message = {static_cast<std::uint8_t>(query.size() >> 8), static_cast<std::uint8_t>(query.size() & 0xff)};
  stream->message.insert(stream->message.end(), query.begin(), query.end());
  lookup.stream = stream;
  wait(lookup, lookup.deadline);
  const tcp::endpoint endpoint(servers[server].address(), servers[server].port());
  // Connect, write the query, read the length, read the reply: on_stream runs
  // after each step and starts the next.
  stream->socket.async_connect(endpoint, [weak = weak_from_this(), key = lookup.key, stream, server](
                                             const std::error_code& ec) {
    if (const auto self = weak.lock()) self->on_stream(key, stream, ec, server);
  });
}

void StubResolver::State::on_stream(const std::string& key, const std::shared_ptr<Stream>& stream,
                                    const std::error_code& ec, std::size_t server) {
  const auto it = lookups.find(key);
  if (it == lookups.end() || it->second->stream != stream) return;  // finished meanwhile
  Lookup& lookup = *it->second;
  auto peer = [&] { return "TCP to " + servers[server].address().to_string(); };  // for failures only
  auto stream_failed = [&](std::string why) {
    lookup.stream.reset();
    std::error_code ignored;
    stream->socket.close(ignored);
    failed(lookup, server, servfail(std::move(why)));
  };
  if (ec) {
    stream_failed(peer() + ": " + ec.message());
    return;
  }
  auto next = [weak = weak_from_this(), key, stream, server](const std::error_code& error, std::size_t) {
    if (const auto self = weak.lock()) self->on_stream(key, stream, error, server);
  };
  switch (stream->stage) {
    case Stream::Stage::connect:
      stream->stage = Stream::Stage::write;
      asio::async_write(stream->socket, asio::buffer(stream->message), next);
      return;
    case Stream::Stage::write:
      stream->stage = Stream::Stage::length;
      asio::async_read(stream->socket, asio::buffer(stream->length), next);
      return;
    case Stream::Stage::length: {
      const std::size_t size = (std::size_t{stream->length[0]} << 8) | stream->length[1];
      if (size == 0) {
        stream_failed(peer() + ": empty reply");
        return;
      }
      stream->stage = Stream::Stage::body;
      stream->message.resize(size);
      asio::async_read(stream->socket, asio::buffer(stream->message), next);
      return;
    }
    case Stream::Stage::body: {
      std::optional<Reply> reply = read_reply(stream->message, lookup.question, lookup.id);
      if (!reply || reply->truncated) {
        stream_failed(peer() + ": the reply does not answer the query");
      } else if (reply->answer.status == Status::servfail) {
        stream_failed(reply->answer.detail);
      } else {
        conclude(lookup, std::move(*reply));
      }
      return;
    }
  }
}

// Takes the lookup off its UDP socket and TCP stream, closing what is no longer used.
void StubResolver::State::detach(Lookup& lookup) {
  if (lookup.stream) {
    std::error_code ignored;
    lookup.stream->socket.close(ignored);
    lookup.stream.reset();
  }
  for (const auto& [channel, id] : std::exchange(lookup.sends, {})) release(channel, id);
}

// Stops waiting for a reply to id on channel, closing what is no longer used.
void StubResolver::State::release(const std::shared_ptr<Channel>& channel, std::uint16_t id) {
  channel->waiting.erase(id);
  if (!channel->waiting.empty()) return;
  if (channel != current[channel->server]) {
    close(*channel);
  } else if (channel->receiving) {
    channel->socket.cancel();  // nothing left to wait for
  }
}

void StubResolver::State::close(Channel& channel) {
  if (!channel.socket.is_open()) return;
  std::error_code ignored;
  channel.socket.close(ignored);
  --sockets_open;
}

void StubResolver::State::finish(Lookup& lookup, Answer answer, std::uint32_t ttl) {
  detach(lookup);
  metrics::counters().dns_query(metric_status(answer.status),
                                std::chrono::duration<double>(Clock::now() - lookup.started).count());
  if (ttl > 0 && (answer.found() || answer.empty())) store(lookup.key, answer, ttl);
  std::vector<Resolver::Handler> handlers = std::move(lookup.handlers);
  lookups.erase(std::string(lookup.key));  // destroys lookup and its timer
  for (std::size_t i = 0; i + 1 < handlers.size(); ++i) deliver(std::move(handlers[i]), answer);
  if (!handlers.empty()) deliver(std::move(handlers.back()), std::move(answer));
}

void StubResolver::State::store(const std::string& key, const Answer& answer, std::uint32_t ttl) {
  std::size_t bytes = sizeof(Cached) + key.size() + answer.addresses.size() * sizeof(net::IpAddress);
  for (const std::string& text : answer.txt) bytes += sizeof(text) + text.size();
  for (const std::string& name : answer.names) bytes += sizeof(name) + name.size();
  for (const MxRecord& mx : answer.mx) bytes += sizeof(mx) + mx.exchange.size();
  const Clock::time_point now = Clock::now();
  auto drop = [this](auto it) {
    cached_bytes -= it->second.bytes;
    return cache.erase(it);
  };
  if (const auto old = cache.find(key); old != cache.end()) drop(old);
  if (bytes > cache_bytes / 4) return;  // one answer never takes over the cache
  if (cache.size() >= cache_entries || cached_bytes + bytes > cache_bytes) {
    for (auto it = cache.begin(); it != cache.end();) it = it->second.expires <= now ? drop(it) : std::next(it);
    // Still full of live entries: drop some until a quarter is free, whichever come first.
    for (auto it = cache.begin();
         it != cache.end() && (cache.size() > cache_entries * 3 / 4 || cached_bytes + bytes > cache_bytes * 3 / 4);) {
      it = drop(it);
    }
  }
  cache.emplace(key, Cached{answer, now + std::chrono::seconds(ttl), bytes});
  cached_bytes += bytes;
}

void StubResolver::State::shutdown() {
  auto all = std::move(lookups);
  lookups.clear();
  for (auto& [key, lookup] : all) {
    detach(*lookup);
    lookup->timer.cancel();
    for (Resolver::Handler& handler : lookup->handlers) deliver(std::move(handler), servfail("resolver shut down"));
  }
  for (const std::shared_ptr<Channel>& channel : current) {
    if (channel) close(*channel);
  }
}

std::unique_ptr<StubResolver> StubResolver::create(asio::any_io_executor executor, const ResolverConfig& config,
                                                   std::string& error) {
  if (config.timeout.count() <= 0) {
    error = "DNS timeout must be positive";
    return nullptr;
  }
  std::vector<ServerAddress> addresses;
  if (config.servers.empty()) {
    auto from_file = resolv_conf_servers("/etc/resolv.conf", error);
    if (!from_file) return nullptr;
    addresses = std::move(*from_file);
  }
  for (const std::string& spec : config.servers) {
    const std::optional<ServerAddress> server = parse_server(spec, error);
    if (!server) return nullptr;
    addresses.push_back(*server);
  }
  std::vector<udp::endpoint> endpoints;
  for (const ServerAddress& server : addresses) endpoints.emplace_back(net::to_asio(server.address), server.port);
  auto state = std::make_shared<State>(std::move(executor), std::move(endpoints), config.timeout);
  return std::unique_ptr<StubResolver>(new StubResolver(std::move(state)));
}

StubResolver::StubResolver(std::shared_ptr<State> state) : state_(std::move(state)) {}

StubResolver::~StubResolver() { state_->shutdown(); }

void StubResolver::query(std::string_view name, RecordType type, Handler handler) {
  state_->start(name, type, std::move(handler));
}

std::size_t StubResolver::in_flight() const { return state_->lookups.size(); }

std::size_t StubResolver::sockets_open() const { return state_->sockets_open; }

}  // namespace domainauth::dns
