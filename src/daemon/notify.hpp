// The systemd service manager protocol (sd_notify(3)) without libsystemd:
// state lines ("READY=1", "RELOADING=1", "STOPPING=1") sent as one datagram to
// the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the
// abstract namespace). Without $NOTIFY_SOCKET (not run by systemd, or a unit of
// Type=simple) nothing is sent. Reads the environment only.
#pragma once

#include <string>
#include <string_view>

namespace domainauth::daemon {

// Sends state to the service manager. True when it was sent or when there is no
// manager to tell; false with a message naming the socket and the OS error.
[[nodiscard]] bool notify(std::string_view state, std::string& error);

// "RELOADING=1" with the MONOTONIC_USEC= systemd asks to accompany it.
[[nodiscard]] std::string reloading_state();

}  // namespace domainauth::daemon
