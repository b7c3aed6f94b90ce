// The listening sockets of the milter, the policy service and the web listener:
// one opener for a listen address (net/listen.hpp: "inet:127.0.0.1:8891",
// "inet:8891@[::1]", "unix:/path", "local:/path"), including a unix socket's mode
// and owner and the safe replacement of a stale socket file, and `Listeners`,
// the accept loops over a server's sockets: TCP_NODELAY, the peer's name, a
// pause after an accept error, the files removed at close. Reads the file system
// at the socket path.
#pragma once

#include <sys/types.h>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/basic_socket_acceptor.hpp>
#include <asio/basic_stream_socket.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/listen.hpp"

namespace domainauth::net {

struct UnixSocketOptions {
  unsigned mode = 0660;
  std::string owner;  // user name or uid; empty: unchanged
  std::string group;  // group name or gid; empty: unchanged
};

struct ListenResult {
  std::string error;       // empty on success
  std::uint16_t port = 0;  // the bound TCP port (useful with port 0)
  [[nodiscard]] bool ok() const { return error.empty(); }
};

// A unix socket file we created; remove() deletes it only while it is still the
// same file (device and inode), never one another process put there since.
class UnixSocketFile {
 public:
  UnixSocketFile() = default;
  UnixSocketFile(std::string path, dev_t device, ino_t inode) : path_(std::move(path)), device_(device), inode_(inode) {}
  // Empty, or why our file could not be removed.
  std::string remove();
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;
using Socket = asio::basic_stream_socket<asio::generic::stream_protocol>;

// Opens, binds and listens; an inet address binds its ip() (no DNS lookup: a
// host name is an error). For unix sockets, `created` receives the file to remove later.
[[nodiscard]] ListenResult open_listener(Acceptor& acceptor, const ListenAddress& address,
                                         const UnixSocketOptions& unix_options, UnixSocketFile& created);

// The sockets one server listens on, and their accept loops.
class Listeners {
 public:
  // name prefixes the log lines ("milter", "policy", "web").
  Listeners(asio::any_io_executor executor, std::string name);
  ~Listeners();
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  // Binds and listens (before start()); nothing stays open for a failed address.
  [[nodiscard]] ListenResult add(const ListenAddress& address, const UnixSocketOptions& unix_options = {});

  // A connection: its socket (TCP_NODELAY set: small request/reply packets never
  // wait for Nagle) and the peer's name ("IP:port", "unix" or "unknown").
  using Accepted = std::function<void(Socket socket, std::string peer)>;
  // Where an accepted socket runs (e.g. a strand of its own); called per connection.
  using SocketExecutor = std::function<asio::any_io_executor()>;
  // Starts one accept loop per socket (once). An accept error is logged and
  // retried after 100 ms.
  void start(Accepted accepted, SocketExecutor socket_executor = {});
  // Stops accepting and removes the unix socket files we created; a file we
  // could not remove is logged.
  void close();

  // The bound addresses, "inet:127.0.0.1:8891" / "unix:/path" (inet ports as bound).
  [[nodiscard]] std::vector<std::string> bound_names() const;
  // The paths of our unix sockets.
  [[nodiscard]] std::vector<std::string> unix_paths() const;

 private:
  struct Listener;
  struct Shared;
  static asio::awaitable<void> accept_loop(std::shared_ptr<Listener> listener, std::shared_ptr<Shared> shared);

  asio::any_io_executor executor_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::shared_ptr<Listener>> listeners_;
};

}  // namespace domainauth::net
