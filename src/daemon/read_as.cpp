// Opening files as another user in a child process (see read_as.hpp). The child
// writes "K" and one int per file (the errno of open, 0 when it opened), or "E"
// and a message when it could not become the user; the parent reads to EOF.
#include "daemon/read_as.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/daemon.hpp"

namespace domainauth::daemon {
namespace {

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

// The child's side: never returns.
[[noreturn]] void probe(int fd, const config::Account& account, const std::vector<std::string>& files) {
  std::string error;
  const bool became = become_user(account, error);
  std::string out(1, became ? 'K' : 'E');
  if (!became) {
    out += error;
  } else {
    for (const auto& file : files) {
      // O_NONBLOCK: a FIFO named by mistake must not hang the check.
      const int opened = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
      const int code = opened < 0 ? errno : 0;
      if (opened >= 0) ::close(opened);
      out.append(reinterpret_cast<const char*>(&code), sizeof code);
    }
  }
  ::_exit(write_all(fd, out.data(), out.size()) ? 0 : 1);
}

}  // namespace

std::optional<std::vector<int>> open_errors_as(const config::Account& account, const std::vector<std::string>& files,
                                               std::string& error) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) {
    error = std::string("cannot make a pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    error = std::string("cannot start a process: ") + std::strerror(errno);
    ::close(ends[0]);
    ::close(ends[1]);
    return std::nullopt;
  }
  if (child == 0) {
    ::close(ends[0]);
    probe(ends[1], account, files);
  }
  ::close(ends[1]);
  std::string in;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(ends[0], buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    in.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(ends[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!in.empty() && in[0] == 'E') {
    error = in.substr(1);
    return std::nullopt;
  }
  if (in.size() != 1 + files.size() * sizeof(int) || in[0] != 'K' || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    error = "the process checking as " + account.name + " ended without an answer";
    return std::nullopt;
  }
  std::vector<int> codes(files.size());
  if (!codes.empty()) std::memcpy(codes.data(), in.data() + 1, codes.size() * sizeof(int));
  return codes;
}

}  // namespace domainauth::daemon
