// HTTP/1.1 requests as the web listener reads them (RFC 9112): the request line
// and header fields of one request, parsed from a complete head (through the
// empty line), and the response written back. Pure: no I/O. Reads untrusted
// input: whatever a client sends, at most kMaxRequestHead octets (the server
// stops reading there). Deliberately small: origin-form targets only, no
// obs-fold (RFC 9112 5.2 lets a server refuse it), the body of a request is
// never read (every response closes the connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace domainauth::web {

inline constexpr std::size_t kMaxRequestHead = 8192;  // request line + header fields + empty line
inline constexpr std::size_t kMaxHeaderFields = 64;

struct Request {
  std::string method;
  std::string path;   // the target before '?'
  std::string query;  // after '?', without it
  std::optional<std::string> authorization;  // the Authorization field's value
};

// A complete head parsed, or why it cannot be: error holds the reason and
// status the code to answer with (400, or 505 for another HTTP version).
struct Parsed {
  std::optional<Request> request;
  std::uint16_t status = 400;
  std::string error;
};

// head: the octets up to and including the first CRLF CRLF.
[[nodiscard]] Parsed parse_request(std::string_view head);

// The value of the first name=value pair of a query string (form-urlencoded:
// '+' and %XX decoded) named name; "" for a name without '='; nothing when absent.
[[nodiscard]] std::optional<std::string> query_value(std::string_view query, std::string_view name);

struct Response {
  std::uint16_t status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> fields;  // e.g. Allow, WWW-Authenticate
};

// A plain-text response whose body is the reason phrase and detail.
[[nodiscard]] Response error_response(std::uint16_t status, std::string_view detail);
// Status line, Content-Type, Content-Length, Connection: close, the extra fields, body.
[[nodiscard]] std::string serialize(const Response& response);
[[nodiscard]] std::string_view reason_phrase(std::uint16_t status);

}  // namespace domainauth::web
