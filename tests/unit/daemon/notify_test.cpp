// daemon::notify: the state lines reach the datagram socket $NOTIFY_SOCKET names
// (a path or an abstract "@name"); nothing is sent without it; a bad name is an error.
#include "daemon/notify.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace {

using domainauth::daemon::notify;

// A bound datagram socket standing in for systemd's notification socket.
class Manager {
 public:
  explicit Manager(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@') address.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length), 0) << std::strerror(errno);
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  }
  ~Manager() {
    ::close(fd_);
    ::unsetenv("NOTIFY_SOCKET");
  }
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  std::string receive() const {
    char buffer[256];
    const auto got = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    return got < 0 ? std::string("(nothing)") : std::string(buffer, static_cast<std::size_t>(got));
  }

 private:
  int fd_ = -1;
};

TEST(Notify, SendsTheStateToAPathSocket) {
  const auto path = std::filesystem::temp_directory_path() / ("notify-test-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  {
    Manager manager(path.string());
    std::string error;
    ASSERT_TRUE(notify("READY=1", error)) << error;
    EXPECT_EQ(manager.receive(), "READY=1");
  }
  std::filesystem::remove(path);
}

TEST(Notify, SendsTheStateToAnAbstractSocket) {
  Manager manager("@domainauth-notify-test-" + std::to_string(::getpid()));
  std::string error;
  ASSERT_TRUE(notify("STOPPING=1", error)) << error;
  EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(Notify, WithoutAManagerSendsNothingAndSucceeds) {
  ::unsetenv("NOTIFY_SOCKET");
  std::string error;
  EXPECT_TRUE(notify("READY=1", error));
  EXPECT_EQ(error, "");
}

TEST(Notify, ARelativeNameIsAnError) {
  ::setenv("NOTIFY_SOCKET", "relative/socket", 1);
  std::string error;
  EXPECT_FALSE(notify("READY=1", error));
  EXPECT_NE(error.find("relative/socket"), std::string::npos) << error;
  ::unsetenv("NOTIFY_SOCKET");
}

TEST(Notify, ReloadingCarriesTheMonotonicClock) {
  const auto state = domainauth::daemon::reloading_state();
  EXPECT_EQ(state.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0U) << state;
  EXPECT_GT(std::stoull(state.substr(state.find('=', 12) + 1)), 0U) << state;
}

}  // namespace
