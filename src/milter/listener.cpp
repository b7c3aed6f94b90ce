// Listening sockets for the milter (see listener.hpp).
#include "milter/listener.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "net/asio_address.hpp"

namespace domainauth::milter {

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
    return {address.to_string() + ": the milter listens on an IP address or localhost, not a host name"};
  }
  const asio::ip::tcp::endpoint tcp_endpoint(net::to_asio(*ip), address.port);
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

void UnixSocketFile::remove() {
  if (path_.empty()) {
    return;
  }
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == device_ && st.st_ino == inode_) {
    unlink(path_.c_str());
  }
  path_.clear();
}

ListenResult open_listener(Acceptor& acceptor, const ListenAddress& address, const UnixSocketOptions& unix_options,
                           UnixSocketFile& created) {
  if (address.kind == ListenAddress::Kind::unix_socket) {
    return open_unix(acceptor, address.path, unix_options, created);
  }
  return open_inet(acceptor, address);
}

}  // namespace domainauth::milter
