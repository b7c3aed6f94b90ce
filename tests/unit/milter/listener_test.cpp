// Milter listening sockets: an inet address bound without a DNS lookup; unix
// sockets: mode applied, stale socket replaced, live socket and non-socket files
// left alone. (The listen address grammar: tests/unit/net/listen_test.cpp.)
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "milter/listener.hpp"

namespace domainauth::milter {
namespace {

class MilterUnixSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("milter-listener-" + std::to_string(getpid()));
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

TEST(MilterInetSocket, HostNameRefusedWithoutLookup) {
  asio::io_context io;
  Acceptor acceptor(io);
  UnixSocketFile unused;
  ListenAddress address;
  address.host = "example.org";
  const auto result = open_listener(acceptor, address, {}, unused);
  EXPECT_EQ(result.error, "inet:example.org:0: the milter listens on an IP address or localhost, not a host name");
}

TEST_F(MilterUnixSocket, ModeAppliedAndFileRemovedAtClose) {
  Acceptor acceptor(io_);
  UnixSocketFile file;
  auto result = open(acceptor, file, 0620);
  ASSERT_TRUE(result.ok()) << result.error;
  struct stat st {};
  ASSERT_EQ(lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  acceptor.close();
  file.remove();
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(MilterUnixSocket, StaleSocketReplaced) {
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

TEST_F(MilterUnixSocket, LiveSocketNotStolen) {
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

TEST_F(MilterUnixSocket, RegularFileNotRemoved) {
  std::ofstream(path_) << "precious";
  Acceptor acceptor(io_);
  UnixSocketFile file;
  auto result = open(acceptor, file);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("not a socket"), std::string::npos) << result.error;
  EXPECT_TRUE(std::filesystem::is_regular_file(path_));
}

TEST_F(MilterUnixSocket, RemoveLeavesSomeoneElsesFile) {
  Acceptor acceptor(io_);
  UnixSocketFile file;
  ASSERT_TRUE(open(acceptor, file).ok());
  acceptor.close();
  std::filesystem::remove(path_);
  std::ofstream(path_) << "new owner";
  file.remove();
  EXPECT_TRUE(std::filesystem::exists(path_));
}

}  // namespace
}  // namespace domainauth::milter
