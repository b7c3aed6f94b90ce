// UnboundResolver: libunbound on the Asio event loop (see unbound_resolver.hpp).
#include "dns/unbound_resolver.hpp"

#include <unbound.h>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fstream>
#include <unordered_map>

namespace domainauth::dns {

namespace {

constexpr int class_in = 1;  // RFC 1035 3.2.4

// libunbound answers some names itself by default (RFC 6761 special-use names,
// RFC 6303 locally served reverse zones). As a stub in front of the configured
// server it must forward those too: the server decides (test data lives under
// .test; reverse zones of private and documentation ranges are often served
// internally). The RFC 6303 / AS112 zones go with "unblock-lan-zones"; the others
// are replaced by empty "transparent" zones, which resolve normally ("nodefault"
// given through ub_ctx_set_option has no effect in libunbound 1.17).
constexpr const char* forwarded_default_zones[] = {
    "localhost.", "127.in-addr.arpa.",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "home.arpa.", "resolver.arpa.", "onion.", "test.", "invalid.",
};

struct ContextDeleter {
  void operator()(ub_ctx* ctx) const { ub_ctx_delete(ctx); }
};
using Context = std::unique_ptr<ub_ctx, ContextDeleter>;

[[nodiscard]] bool set_option(ub_ctx* ctx, const char* name, const char* value, std::string& error) {
  const int rc = ub_ctx_set_option(ctx, name, value);
  if (rc != 0) error = std::string("libunbound option ") + name + " " + value + ": " + ub_strerror(rc);
  return rc == 0;
}

// Resolver behaviour: caching, forwarders on loopback, validation, default zones.
[[nodiscard]] bool set_options(ub_ctx* ctx, bool validate, std::string& error) {
  // Forwarders on loopback (a local unbound, the tests' DNS server) must be usable.
  // libunbound keeps a message and an RRset cache per context, on by default; the
  // sizes are set here so that caching is explicit: answers (RFC 2308 negative
  // ones included) are reused until their TTL ends.
  if (!set_option(ctx, "do-not-query-localhost:", "no", error) ||
      !set_option(ctx, "msg-cache-size:", "4m", error) || !set_option(ctx, "rrset-cache-size:", "8m", error) ||
      !set_option(ctx, "module-config:", validate ? "validator iterator" : "iterator", error) ||
      !set_option(ctx, "unblock-lan-zones:", "yes", error) || !set_option(ctx, "insecure-lan-zones:", "yes", error)) {
    return false;
  }
  for (const char* zone : forwarded_default_zones) {
    if (!set_option(ctx, "local-zone:", (std::string(zone) + " transparent").c_str(), error)) return false;
  }
  return true;
}

// Every query is forwarded (a forward zone for "."), to the configured servers
// or to those of resolv.conf: libunbound never recurses from the root itself.
[[nodiscard]] bool set_servers(ub_ctx* ctx, const std::vector<std::string>& servers, std::string& error) {
  if (servers.empty()) {
    const int rc = ub_ctx_resolvconf(ctx, "/etc/resolv.conf");
    if (rc != 0) error = std::string("cannot use /etc/resolv.conf: ") + ub_strerror(rc);
    return rc == 0;
  }
  for (const std::string& spec : servers) {
    const std::optional<ServerAddress> server = parse_server(spec, error);
    if (!server) return false;
    const std::string address = server->address.to_string() + "@" + std::to_string(server->port);
    const int rc = ub_ctx_set_fwd(ctx, address.c_str());
    if (rc != 0) {
      error = "DNS server " + spec + ": " + ub_strerror(rc);
      return false;
    }
  }
  return true;
}

[[nodiscard]] bool set_trust_anchor(ub_ctx* ctx, const std::string& file, std::string& error) {
  if (!std::ifstream(file)) {
    error = "cannot read trust anchor file " + file;
    return false;
  }
  const int rc = ub_ctx_add_ta_file(ctx, file.c_str());
  if (rc != 0) error = "trust anchor file " + file + ": " + ub_strerror(rc);
  return rc == 0;
}

[[nodiscard]] Context configure(const ResolverConfig& config, std::string& error) {
  Context ctx(ub_ctx_create());
  if (!ctx) {
    error = "libunbound: cannot create a context";
    return nullptr;
  }
  const bool validate = !config.trust_anchor_file.empty();
  if (!set_options(ctx.get(), validate, error) || !set_servers(ctx.get(), config.servers, error) ||
      (validate && !set_trust_anchor(ctx.get(), config.trust_anchor_file, error))) {
    return nullptr;
  }
  // One background thread does the resolving; results come back through ub_fd().
  int rc = ub_ctx_async(ctx.get(), 1);
  if (rc != 0) {
    error = std::string("libunbound: cannot run in a thread: ") + ub_strerror(rc);
    return nullptr;
  }
  // libunbound applies its settings (reads the trust anchors) at the first call
  // that needs them; removing local data of a name that has none is such a call
  // without other effect, so a bad setting is reported here, not on each query.
  rc = ub_ctx_data_remove(ctx.get(), "settings-check.invalid.");
  if (rc != 0) {
    error = std::string("libunbound rejected the settings: ") + ub_strerror(rc) +
            (validate ? " (check the trust anchor file " + config.trust_anchor_file + ")" : "");
    return nullptr;
  }
  return ctx;
}

}  // namespace

struct UnboundResolver::State : std::enable_shared_from_this<State> {
  // One query in flight. Its address is libunbound's callback argument; it lives
  // until its answer is taken, or until it is cancelled (ub_cancel guarantees no
  // callback afterwards), so the callback always finds it in `pending`.
  struct Pending {
    State* state;
    std::uint64_t key;
    RecordType type;
    Resolver::Handler handler;
    asio::steady_timer timer;
    int async_id = 0;
  };

  State(asio::any_io_executor exec, Context context, std::chrono::milliseconds limit)
      : executor(std::move(exec)), timeout(limit), ctx(std::move(context)), pipe(executor, ub_fd(ctx.get())) {}

  void deliver(Resolver::Handler handler, Answer answer) {
    asio::post(executor, [handler = std::move(handler), answer = std::move(answer)]() mutable {
      handler(std::move(answer));
    });
  }

  void start(std::string_view name, RecordType type, Resolver::Handler handler);
  void expire(std::uint64_t key);
  void watch();
  void fail_all(const std::string& detail);
  void shutdown();
  static void on_result(void* data, int err, ub_result* result);

  asio::any_io_executor executor;
  std::chrono::milliseconds timeout;
  Context ctx;
  asio::posix::stream_descriptor pipe;  // libunbound's result pipe, owned by ctx
  bool watching = false;
  std::uint64_t next_key = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Pending>> pending;
};

void UnboundResolver::State::start(std::string_view name, RecordType type, Resolver::Handler handler) {
  if (name.find('\0') != std::string_view::npos) {
    Answer answer;
    answer.detail = "query name contains a NUL octet";
    deliver(std::move(handler), std::move(answer));
    return;
  }
  const std::uint64_t key = next_key++;
  auto query = std::make_unique<Pending>(Pending{this, key, type, std::move(handler), asio::steady_timer(executor)});
  const std::string qname(name);
  const int rc = ub_resolve_async(ctx.get(), qname.c_str(), static_cast<int>(type), class_in, query.get(),
                                  &State::on_result, &query->async_id);
  if (rc != 0) {
    Answer answer;
    answer.detail = "cannot query " + qname + ": " + ub_strerror(rc);
    deliver(std::move(query->handler), std::move(answer));
    return;
  }
  query->timer.expires_after(timeout);
  query->timer.async_wait([weak = weak_from_this(), key](const std::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->expire(key);
  });
  pending.emplace(key, std::move(query));
  watch();
}

// Runs inside ub_process(): takes the answer and posts the handler.
void UnboundResolver::State::on_result(void* data, int err, ub_result* result) {
  auto* query = static_cast<Pending*>(data);
  State& self = *query->state;
  Answer answer;
  if (err != 0) {
    answer.detail = std::string("libunbound: ") + ub_strerror(err);
  } else if (result != nullptr) {
    answer = answer_from_result(*result, query->type);
  }
  ub_resolve_free(result);
  Resolver::Handler handler = std::move(query->handler);
  self.pending.erase(query->key);  // frees query, cancels its timer
  self.deliver(std::move(handler), std::move(answer));
}

void UnboundResolver::State::expire(std::uint64_t key) {
  const auto it = pending.find(key);
  if (it == pending.end()) return;  // answered in the meantime
  ub_cancel(ctx.get(), it->second->async_id);
  Resolver::Handler handler = std::move(it->second->handler);
  pending.erase(it);
  Answer answer;
  answer.status = Status::timeout;
  answer.detail = "no answer within " + std::to_string(timeout.count()) + " ms";
  deliver(std::move(handler), std::move(answer));
  // Nothing left to wait for: let the event loop run out of work.
  if (pending.empty() && watching) pipe.cancel();
}

// Waits for results while queries are in flight (only then, so that an
// io_context with nothing else to do returns from run()).
void UnboundResolver::State::watch() {
  if (watching || pending.empty()) return;
  watching = true;
  pipe.async_wait(asio::posix::stream_descriptor::wait_read, [weak = weak_from_this()](const std::error_code& ec) {
    const auto self = weak.lock();
    if (!self) return;
    self->watching = false;
    if (!ec) {
      const int rc = ub_process(self->ctx.get());
      if (rc != 0) self->fail_all(std::string("libunbound: ") + ub_strerror(rc));
    }
    self->watch();
  });
}

void UnboundResolver::State::fail_all(const std::string& detail) {
  auto queries = std::move(pending);
  pending.clear();
  for (auto& [key, query] : queries) {
    ub_cancel(ctx.get(), query->async_id);
    Answer answer;
    answer.detail = detail;
    deliver(std::move(query->handler), std::move(answer));
  }
}

void UnboundResolver::State::shutdown() {
  fail_all("resolver shut down");
  pipe.cancel();
  (void)pipe.release();  // ub_ctx_delete closes it
  ctx.reset();
}

std::unique_ptr<UnboundResolver> UnboundResolver::create(asio::any_io_executor executor,
                                                         const ResolverConfig& config, std::string& error) {
  if (config.timeout.count() <= 0) {
    error = "DNS timeout must be positive";
    return nullptr;
  }
  Context ctx = configure(config, error);
  if (!ctx) return nullptr;
  if (ub_fd(ctx.get()) < 0) {
    error = "libunbound: no result descriptor";
    return nullptr;
  }
  auto state = std::make_shared<State>(std::move(executor), std::move(ctx), config.timeout);
  return std::unique_ptr<UnboundResolver>(new UnboundResolver(std::move(state)));
}

UnboundResolver::UnboundResolver(std::shared_ptr<State> state) : state_(std::move(state)) {}

UnboundResolver::~UnboundResolver() { state_->shutdown(); }

void UnboundResolver::query(std::string_view name, RecordType type, Handler handler) {
  state_->start(name, type, std::move(handler));
}

std::size_t UnboundResolver::in_flight() const { return state_->pending.size(); }

}  // namespace domainauth::dns
