// Logging set-up, privilege drop, PID file and descriptor limit (see daemon.hpp).
#include "daemon/daemon.hpp"

#include "config/file_access.hpp"
#include "daemon/journal.hpp"

#include <fcntl.h>
#include <grp.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace domainauth::daemon {

namespace {

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::debug: return spdlog::level::debug;
    case config::LogLevel::info: return spdlog::level::info;
    case config::LogLevel::warning: return spdlog::level::warn;
    case config::LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

void setup_logging(config::LogTarget target, config::LogLevel level, const std::string& ident) {
  std::shared_ptr<spdlog::logger> logger;
  if (target == config::LogTarget::syslog) {
    logger = std::make_shared<spdlog::logger>(
        ident, std::make_shared<spdlog::sinks::syslog_sink_mt>(ident, LOG_PID, LOG_MAIL, false));
    logger->set_pattern("%v");
  } else if (stderr_is_journal()) {  // run by systemd: the journal adds time and PID
    logger = std::make_shared<spdlog::logger>(ident, make_journal_stream_sink());
    logger->set_pattern("%v");
  } else {
    logger = std::make_shared<spdlog::logger>(ident, std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %l: %v");
  }
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

bool drop_privileges(const std::string& user, const std::vector<std::string>& owned_paths, std::string& error) {
  if (user.empty() || ::geteuid() != 0) return true;
  std::string why;
  const auto account = config::find_account(user, why);
  if (!account) {
    error = "daemon.user: " + why;
    return false;
  }
  for (const auto& path : owned_paths) {
    if (::chown(path.c_str(), account->uid, account->gid) != 0) {
      error = "cannot hand " + path + " to " + user + ": " + errno_text();
      return false;
    }
  }
  return become_user(*account, error);
}

bool become_user(const config::Account& account, std::string& error) {
  if (::setgroups(account.groups.size(), account.groups.data()) != 0 || ::setgid(account.gid) != 0 ||
      ::setuid(account.uid) != 0) {
    error = "cannot become " + account.name + ": " + errno_text();
    return false;
  }
  // setuid from root drops the saved id too; make sure there is no way back.
  if (::setuid(0) == 0) {
    error = "could regain root after becoming " + account.name;
    return false;
  }
  return true;
}

bool write_pid_file(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot write PID file " + path + ": " + errno_text();
    return false;
  }
  const std::string text = std::to_string(::getpid()) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const std::string why = errno_text();
  if (::close(fd) != 0 || !written) {
    error = "cannot write PID file " + path + ": " + why;
    return false;
  }
  return true;
}

bool remove_pid_file(const std::string& path, std::string& error) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return true;
  error = "cannot remove PID file " + path + ": " + errno_text() +
          " (put it in a folder daemon.user may write, e.g. systemd RuntimeDirectory=domainauth)";
  return false;
}

void raise_descriptor_limit(std::size_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("event=descriptor-limit error=\"getrlimit: {}\"", errno_text());
    return;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    const rlim_t raised = limit.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, limit.rlim_max);
    rlimit next{raised, limit.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &next) == 0) limit.rlim_cur = raised;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    spdlog::warn("event=descriptor-limit limit={} wanted={} note=\"below what milter.max_connections and "
                 "policy.max_connections need: raise LimitNOFILE (ulimit -n) or lower them\"",
                 limit.rlim_cur, wanted);
  }
}

}  // namespace domainauth::daemon
