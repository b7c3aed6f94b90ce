// Where the milter listens: parsing of the socket specifications Postfix and
// Sendmail/OpenDKIM use ("inet:127.0.0.1:8891", "inet:8891@[::1]", "unix:/path",
// "local:/path") and opening of the listening socket, including a unix socket's
// mode and owner and the safe replacement of a stale socket file. Reads the
// configured specification (trusted) and the file system at the socket path.
#pragma once

#include <sys/types.h>

#include <asio/basic_socket_acceptor.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/address.hpp"

namespace domainauth::milter {

struct ListenAddress {
  enum class Kind : std::uint8_t { inet, unix_socket };
  Kind kind = Kind::inet;
  net::IpAddress ip;       // inet
  std::uint16_t port = 0;  // inet; 0 = any free port
  std::string path;        // unix

  // "inet:127.0.0.1:8891", "inet:[::1]:8891", "unix:/run/domainauth/milter".
  [[nodiscard]] std::string to_string() const;
};

// inet:HOST:PORT, inet:[IPV6]:PORT, inet:PORT@HOST, inet6:PORT@HOST, inet:PORT (all
// IPv4 addresses), unix:PATH, local:PATH. HOST is an IP literal, "localhost" or "*".
[[nodiscard]] std::optional<ListenAddress> parse_listen_address(std::string_view spec);

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

// Opens, binds and listens. For unix sockets, `created` receives the file to remove later.
[[nodiscard]] ListenResult open_listener(Acceptor& acceptor, const ListenAddress& address,
                                         const UnixSocketOptions& unix_options, UnixSocketFile& created);

}  // namespace domainauth::milter
