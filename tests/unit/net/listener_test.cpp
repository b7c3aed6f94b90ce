// Listening sockets (milter, policy, web): an inet address bound without a DNS lookup; unix
// sockets: mode applied, stale socket replaced, live socket and non-socket files
// left alone. (The listen address grammar: tests/unit/net/listen_test.cpp.)
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "net/listener.hpp"

namespace domainauth::net {
namespace {

class UnixListener : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("net-listener-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "sock").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ListenResult open(Acceptor& acceptor, UnixSocketFile& file, unsigned mode = 0660) {
    ListenAddress address;
    address.kind = ListenAddress::Kind::unix_socket;
    address.path = path_;
    UnixSocketOptions options;
    options.mode = mode;
    return open_listener(acceptor, address, options, file);
  }

  asio::io_context io_;
  std::filesystem::path dir_;
  std::string path_;
};

TEST(InetListener, HostNameRefusedWithoutLookup) {
  asio::io_context io;
  Acceptor acceptor(io);
  UnixSocketFile unused;
  ListenAddress address;
  address.host = "example.org";
  const auto result = open_listener(acceptor, address, {}, unused);
  EXPECT_EQ(result.error, "inet:example.org:0: listen on an IP address or localhost, not a host name");
}

TEST_F(UnixListener, ModeAppliedAndFileRemovedAtClose) {
  Acceptor acceptor(io_);
  UnixSocketFile file;
  auto result = open(acceptor, file, 0620);
  ASSERT_TRUE(result.ok()) << result.error;
  struct stat st {};
  ASSERT_EQ(lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  acceptor.close();
  EXPECT_EQ(file.remove(), "");
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(UnixListener, StaleSocketReplaced) {
  {  // a socket file nobody listens on, as a crashed daemon leaves behind
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path_.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0);
    close(fd);
  }
  Acceptor acceptor(io_);
  UnixSocketFile file;
  auto result = open(acceptor, file);
  EXPECT_TRUE(result.ok()) << result.error;
  file.remove();
}

TEST_F(UnixListener, LiveSocketNotStolen) {
  Acceptor first(io_);
  UnixSocketFile first_file;
  ASSERT_TRUE(open(first, first_file).ok());
  Acceptor second(io_);
  UnixSocketFile second_file;
  auto result = open(second, second_file);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("another process"), std::string::npos) << result.error;
  EXPECT_TRUE(std::filesystem::exists(path_));
  first_file.remove();
}

TEST_F(UnixListener, RegularFileNotRemoved) {
  std::ofstream(path_) << "precious";
  Acceptor acceptor(io_);
  UnixSocketFile file;
  auto result = open(acceptor, file);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("not a socket"), std::string::npos) << result.error;
  EXPECT_TRUE(std::filesystem::is_regular_file(path_));
}

TEST_F(UnixListener, RemoveLeavesSomeoneElsesFile) {
  Acceptor acceptor(io_);
  UnixSocketFile file;
  ASSERT_TRUE(open(acceptor, file).ok());
  acceptor.close();
  std::filesystem::remove(path_);
  std::ofstream(path_) << "new owner";
  file.remove();
  EXPECT_TRUE(std::filesystem::exists(path_));
}

// The accept loops: each connection handed over with its peer's name (TCP with
// TCP_NODELAY), the inet port as bound, our file removed at close, a live
// socket of another server left alone.
TEST_F(UnixListener, ListenersAcceptNameAndClose) {
  Listeners listeners(io_.get_executor(), "test");
  ListenAddress inet;
  inet.host = "127.0.0.1";
  ASSERT_TRUE(listeners.add(inet).ok());
  ListenAddress local;
  local.kind = ListenAddress::Kind::unix_socket;
  local.path = path_;
  ASSERT_TRUE(listeners.add(local).ok());
  Listeners thief(io_.get_executor(), "thief");
  EXPECT_NE(thief.add(local).error.find("another process"), std::string::npos);

  const auto names = listeners.bound_names();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[1], "unix:" + path_);
  const auto port = static_cast<std::uint16_t>(std::stoi(names[0].substr(names[0].rfind(':') + 1)));
  EXPECT_NE(port, 0);
  EXPECT_EQ(names[0], "inet:127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(listeners.unix_paths(), std::vector<std::string>{path_});

  std::vector<std::string> peers;
  bool no_delay = false;
  listeners.start([&](Socket socket, std::string peer) {
    if (peer != "unix") {
      asio::ip::tcp::no_delay option;
      socket.get_option(option);
      no_delay = option.value();
    }
    peers.push_back(std::move(peer));
  });
  asio::ip::tcp::socket tcp_client(io_);
  tcp_client.connect({asio::ip::address_v4::loopback(), port});
  asio::local::stream_protocol::socket unix_client(io_);
  unix_client.connect(asio::local::stream_protocol::endpoint(path_));
  // The thief's probe whether the socket is live was a connection too.
  for (int i = 0; i < 100 && peers.size() < 3; ++i) io_.run_for(std::chrono::milliseconds(10));
  std::sort(peers.begin(), peers.end());
  EXPECT_EQ(peers, (std::vector<std::string>{"127.0.0.1:" + std::to_string(tcp_client.local_endpoint().port()),
                                             "unix", "unix"}));
  EXPECT_TRUE(no_delay);

  listeners.close();
  EXPECT_FALSE(std::filesystem::exists(path_));
  io_.run_for(std::chrono::milliseconds(10));  // the loops end
}

}  // namespace
}  // namespace domainauth::net
