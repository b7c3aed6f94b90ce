// Listening sockets and their accept loops (see listener.hpp).
#include "net/listener.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <vector>

#include "net/asio_address.hpp"

namespace domainauth::net {

namespace {

std::string errno_text(int err) { return std::string(std::strerror(err)); }

// uid/gid by name or number; -1 when empty.
std::optional<long> lookup_id(const std::string& name, bool user) {
  if (name.empty()) {
    return -1L;
  }
  long id = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec == std::errc() && ptr == name.data() + name.size()) {
    return id;
  }
  std::vector<char> buf(16384);
  if (user) {
    passwd pw{};
    passwd* found = nullptr;
    if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
      return static_cast<long>(found->pw_uid);
    }
  } else {
    group gr{};
    group* found = nullptr;
    if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
      return static_cast<long>(found->gr_gid);
    }
  }
  return std::nullopt;
}

// A socket file at path: removed when nothing accepts on it any more (stale);
// anything else makes us refuse rather than delete a file we do not understand.
std::string clear_stale_socket(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? std::string() : path + ": " + errno_text(errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return path + ": exists and is not a socket; not removed";
  }
  asio::io_context probe_context;
  asio::local::stream_protocol::socket probe(probe_context);
  asio::error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(path), ec);
  if (!ec) {
    return path + ": another process is listening on this socket";
  }
  if (ec != asio::error::connection_refused) {
    return path + ": cannot tell whether the socket is in use: " + ec.message();
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return path + ": cannot remove stale socket: " + errno_text(errno);
  }
  return {};
}

ListenResult open_unix(Acceptor& acceptor, const std::string& path, const UnixSocketOptions& options,
                       UnixSocketFile& created) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return {"unix socket path empty or too long: " + path};
  }
  const auto uid = lookup_id(options.owner, true);
  const auto gid = lookup_id(options.group, false);
  if (!uid || !gid) {
    return {"unknown " + std::string(uid ? "group " + options.group : "user " + options.owner)};
  }
  if (auto error = clear_stale_socket(path); !error.empty()) {
    return {error};
  }
  asio::error_code ec;
  asio::generic::stream_protocol::endpoint endpoint{asio::local::stream_protocol::endpoint(path)};
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    // Nobody may connect before mode and owner are set: create the file private.
    const mode_t old_umask = umask(0177);
    acceptor.bind(endpoint, ec);
    umask(old_umask);
  }
  if (ec) {
    return {path + ": " + ec.message()};
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    return {path + ": " + errno_text(errno)};
  }
  created = UnixSocketFile(path, st.st_dev, st.st_ino);
  if ((*uid >= 0 || *gid >= 0) &&
      chown(path.c_str(), static_cast<uid_t>(*uid), static_cast<gid_t>(*gid)) != 0) {
    return {path + ": chown: " + errno_text(errno)};
  }
  if (chmod(path.c_str(), static_cast<mode_t>(options.mode & 07777)) != 0) {
    return {path + ": chmod: " + errno_text(errno)};
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return {path + ": listen: " + ec.message()};
  }
  return {};
}

ListenResult open_inet(Acceptor& acceptor, const ListenAddress& address) {
  const auto ip = address.ip();
  if (!ip) {
    return {address.to_string() + ": listen on an IP address or localhost, not a host name"};
  }
  const asio::ip::tcp::endpoint tcp_endpoint(to_asio(*ip), address.port);
  const asio::generic::stream_protocol::endpoint endpoint(tcp_endpoint);
  asio::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return {address.to_string() + ": " + ec.message()};
  }
  const auto local = acceptor.local_endpoint(ec);
  std::uint16_t port = address.port;
  if (!ec) {
    asio::ip::tcp::endpoint bound;
    std::memcpy(bound.data(), local.data(), std::min<std::size_t>(local.size(), sizeof(sockaddr_in6)));
    port = bound.port();
  }
  return {{}, port};
}

}  // namespace

std::string UnixSocketFile::remove() {
  if (path_.empty()) {
    return {};
  }
  std::string error;
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == device_ && st.st_ino == inode_ &&
      unlink(path_.c_str()) != 0 && errno != ENOENT) {
    error = errno_text(errno);
  }
  path_.clear();
  return error;
}

ListenResult open_listener(Acceptor& acceptor, const ListenAddress& address, const UnixSocketOptions& unix_options,
                           UnixSocketFile& created) {
  if (address.kind == ListenAddress::Kind::unix_socket) {
    return open_unix(acceptor, address.path, unix_options, created);
  }
  return open_inet(acceptor, address);
}

// ---------------------------------------------------------------- Listeners

namespace {

constexpr auto kAcceptErrorPause = std::chrono::milliseconds(100);

// The peer's address without a system call for unix sockets.
std::string describe_peer(const Socket& socket, bool tcp) {
  if (!tcp) {
    return "unix";
  }
  asio::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) {
    return "unknown";
  }
  asio::ip::tcp::endpoint peer;
  std::memcpy(peer.data(), endpoint.data(), std::min<std::size_t>(endpoint.size(), sizeof(sockaddr_in6)));
  return peer.address().to_string() + ":" + std::to_string(peer.port());
}

}  // namespace

struct Listeners::Listener {
  Acceptor acceptor;
  ListenAddress address;
  std::uint16_t port = 0;    // as bound
  UnixSocketFile unix_file;  // removed at close()
};

struct Listeners::Shared {
  std::string name;
  Accepted accepted;
  SocketExecutor socket_executor;
};

Listeners::Listeners(asio::any_io_executor executor, std::string name)
    : executor_(std::move(executor)), shared_(std::make_shared<Shared>()) {
  shared_->name = std::move(name);
}

Listeners::~Listeners() { close(); }

ListenResult Listeners::add(const ListenAddress& address, const UnixSocketOptions& unix_options) {
  auto listener = std::make_shared<Listener>(Listener{Acceptor(executor_), address, 0, {}});
  auto result = open_listener(listener->acceptor, address, unix_options, listener->unix_file);
  if (result.ok()) {
    listener->port = result.port;
    listeners_.push_back(std::move(listener));
  } else {
    (void)listener->unix_file.remove();
  }
  return result;
}

void Listeners::start(Accepted accepted, SocketExecutor socket_executor) {
  shared_->accepted = std::move(accepted);
  shared_->socket_executor = std::move(socket_executor);
  for (const auto& listener : listeners_) {
    asio::co_spawn(executor_, accept_loop(listener, shared_), asio::detached);
  }
}

void Listeners::close() {
  for (const auto& listener : listeners_) {
    asio::error_code ec;
    listener->acceptor.close(ec);
    const auto path = listener->unix_file.path();
    if (auto error = listener->unix_file.remove(); !error.empty()) {
      // After the privilege drop the socket's folder may not be daemon.user's (README "Files at exit").
      spdlog::warn("{}: event=socket_not_removed path={} detail=\"{}\"", shared_->name, path, error);
    }
  }
}

std::vector<std::string> Listeners::bound_names() const {
  std::vector<std::string> names;
  for (const auto& listener : listeners_) {
    auto bound = listener->address;
    if (bound.kind == ListenAddress::Kind::inet) {
      bound.port = listener->port;
    }
    names.push_back(bound.to_string());
  }
  return names;
}

std::vector<std::string> Listeners::unix_paths() const {
  std::vector<std::string> paths;
  for (const auto& listener : listeners_) {
    if (listener->address.kind == ListenAddress::Kind::unix_socket) {
      paths.push_back(listener->address.path);
    }
  }
  return paths;
}

// Owns its listener and the shared state, so it may finish after the Listeners are gone.
asio::awaitable<void> Listeners::accept_loop(std::shared_ptr<Listener> listener, std::shared_ptr<Shared> shared) {
  const auto executor = listener->acceptor.get_executor();
  const bool tcp = listener->address.kind == ListenAddress::Kind::inet;
  while (listener->acceptor.is_open()) {
    asio::error_code ec;
    const auto socket_executor = shared->socket_executor ? shared->socket_executor() : executor;
    Socket socket =
        co_await listener->acceptor.async_accept(socket_executor, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !listener->acceptor.is_open()) {
      break;
    }
    if (ec) {
      // Out of file descriptors and the like: say so, breathe, go on.
      spdlog::error("{}: event=accept_error detail=\"{}\"", shared->name, ec.message());
      asio::steady_timer pause(executor, kAcceptErrorPause);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (tcp) {
      socket.set_option(asio::ip::tcp::no_delay(true), ec);
    }
    auto peer = describe_peer(socket, tcp);
    shared->accepted(std::move(socket), std::move(peer));
  }
}

}  // namespace domainauth::net
