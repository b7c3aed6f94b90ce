// Listen addresses in Postfix and Sendmail/OpenDKIM syntax, and unix sockets:
// mode applied, stale socket replaced, live socket and non-socket files left alone.
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

struct Spec {
  const char* text;
  const char* want;  // to_string(), or nullptr when refused
};

class MilterListenAddress : public ::testing::TestWithParam<Spec> {};

TEST_P(MilterListenAddress, Parses) {
  auto address = parse_listen_address(GetParam().text);
  if (GetParam().want == nullptr) {
    EXPECT_FALSE(address) << address->to_string();
  } else {
    ASSERT_TRUE(address);
    EXPECT_EQ(address->to_string(), GetParam().want);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Syntax, MilterListenAddress,
    ::testing::Values(Spec{"inet:127.0.0.1:8891", "inet:127.0.0.1:8891"},  // Postfix smtpd_milters
                      Spec{"inet:[::1]:8891", "inet:[::1]:8891"},
                      Spec{"inet:8891@127.0.0.1", "inet:127.0.0.1:8891"},  // Sendmail / OpenDKIM
                      Spec{"inet:8891@localhost", "inet:127.0.0.1:8891"},
                      Spec{"inet6:8891@[::1]", "inet:[::1]:8891"},
                      Spec{"inet:8891", "inet:0.0.0.0:8891"},
                      Spec{"unix:/run/domainauth/milter", "unix:/run/domainauth/milter"},
                      Spec{"local:/run/x", "unix:/run/x"},
                      Spec{"inet:127.0.0.1:65536", nullptr}, Spec{"inet:::1:8891", nullptr},
                      Spec{"inet:example.org:25", nullptr}, Spec{"inet6:8891@127.0.0.1", nullptr},
                      Spec{"unix:relative", nullptr}, Spec{"tcp:1.2.3.4:5", nullptr}, Spec{"8891", nullptr}));

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
