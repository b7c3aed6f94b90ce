// stderr lines with sd-daemon(3) priority prefixes for the journal (see journal.hpp).
#include "daemon/journal.hpp"

#include <spdlog/sinks/base_sink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace domainauth::daemon {

namespace {

// syslog(3) priorities, as journald reads them from the "<N>" prefix.
int priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    case spdlog::level::critical: return 2;
    case spdlog::level::off:
    case spdlog::level::n_levels: break;
  }
  return 6;
}

class JournalStreamSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t text;
    formatter_->format(msg, text);  // the pattern ends with the newline
    std::string line = "<" + std::to_string(priority(msg.level)) + ">";
    line.append(text.data(), text.size());
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat status {};
  if (::fstat(STDERR_FILENO, &status) != 0) return false;
  return status.st_dev == device && status.st_ino == inode;
}

std::shared_ptr<spdlog::sinks::sink> make_journal_stream_sink() { return std::make_shared<JournalStreamSink>(); }

}  // namespace domainauth::daemon
