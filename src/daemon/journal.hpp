// Logging to the systemd journal through stderr: when systemd connects stderr
// to the journal it says so in $JOURNAL_STREAM ("device:inode" of that stream).
// Lines then carry the syslog priority as a "<N>" prefix (sd-daemon(3)), which
// journald strips and records; the unit's SyslogFacility=mail gives the
// facility, and journald adds the time and the PID. Reads the environment only.
#pragma once

#include <memory>
#include <spdlog/sinks/sink.h>

namespace domainauth::daemon {

// True when file descriptor 2 is the stream $JOURNAL_STREAM names.
[[nodiscard]] bool stderr_is_journal();

// A sink writing "<priority>message\n" lines to stderr.
[[nodiscard]] std::shared_ptr<spdlog::sinks::sink> make_journal_stream_sink();

}  // namespace domainauth::daemon
