// Handing a finished report message to the mail relay over SMTP (RFC 5321) with
// libcurl: the [report] relay of the configuration (config/store_keys.cpp),
// STARTTLS when the relay offers it (RFC 3207, opportunistic as in RFC 7435:
// never required on loopback). Used by aggregate (RFC 9990) and failure
// (RFC 9991 / RFC 6591) reports. Blocking: callers run it off the event loop.
// Reads untrusted input only as the relay's replies, which libcurl parses.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::report {

// Where reports are submitted: [report] relay = "host:port" ("[::1]:25" for IPv6).
// Header-level so that config/ can hold it without linking libcurl.
struct Relay {
  std::string host = "localhost";
  std::uint16_t port = 25;
  std::chrono::seconds timeout{60};  // the whole SMTP transaction

  [[nodiscard]] std::string to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
};

// When a submission must be over (a shutdown's bound); asked before the
// transaction and about once a second during it, so it may move earlier.
using Deadline = std::function<std::chrono::steady_clock::time_point()>;

// Submits message (RFC 5322 text, CRLF line ends) from mail_from to every
// recipient (bare addr-specs). Empty when the relay accepted it for all of
// them, else why not (connection refused, a 5xx to RCPT TO, a timeout...).
// When any recipient is refused the message is not sent to any of them. The
// transaction takes at most relay.timeout, and ends at deadline when one is
// given (not attempted when it has passed).
[[nodiscard]] std::optional<std::string> submit(const Relay& relay, const std::string& mail_from,
                                                const std::vector<std::string>& recipients, std::string_view message,
                                                const Deadline& deadline = {});

}  // namespace domainauth::report
