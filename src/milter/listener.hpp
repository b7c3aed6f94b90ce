// Where the milter listens: opening of the listening socket for a listen
// address (net/listen.hpp: "inet:127.0.0.1:8891", "inet:8891@[::1]",
// "unix:/path", "local:/path"), including a unix socket's mode and owner and the
// safe replacement of a stale socket file. Reads the file system at the socket path.
#pragma once

#include <sys/types.h>

#include <asio/basic_socket_acceptor.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <cstdint>
#include <string>

#include "net/listen.hpp"

namespace domainauth::milter {

// One grammar for every listener (net/listen.hpp): milter.listen is parsed by it too.
using net::ListenAddress;

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
  void remove();

 private:
  std::string path_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

// Opens, binds and listens; an inet address binds its ip() (no DNS lookup: a
// host name is an error). For unix sockets, `created` receives the file to remove later.
[[nodiscard]] ListenResult open_listener(Acceptor& acceptor, const ListenAddress& address,
                                         const UnixSocketOptions& unix_options, UnixSocketFile& created);

}  // namespace domainauth::milter
