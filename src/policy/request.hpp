// Postfix policy delegation protocol (Postfix SMTPD_POLICY_README): the request
// side. A request is a sequence of "name=value" lines ended by an empty line;
// several requests may follow each other on one connection. RequestParser is
// pure (no I/O): bytes go in as they arrive, complete requests or a specific
// error come out. Reads untrusted input from the policy client (normally
// Postfix's smtpd, but anything that can connect), so every size is capped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace domainauth::policy {

// Postfix 3.7 sends about 30 attributes, each line well under 1 KiB (a long
// ccert_* or sasl_username is the largest); these caps leave wide margins.
inline constexpr std::size_t kMaxLineLength = 4096;      // bytes, without the newline
inline constexpr std::size_t kMaxAttributes = 100;       // name=value lines per request
inline constexpr std::size_t kMaxRequestSize = 64 * 1024;  // bytes, all lines together
inline constexpr std::size_t kMaxNameLength = 64;

class Request {
 public:
  // The value of attribute name, or "" when the request did not carry it
  // (Postfix sends attributes it has no value for as "name=").
  [[nodiscard]] std::string_view get(std::string_view name) const;
  [[nodiscard]] bool has(std::string_view name) const;
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& attributes() const {
    return attributes_;
  }
  // Adds an attribute; false when the name is already present.
  bool add(std::string name, std::string value);

 private:
  std::vector<std::pair<std::string, std::string>> attributes_;
};

enum class ParseError : std::uint8_t {
  line_too_long,        // a line longer than kMaxLineLength
  too_many_attributes,  // more than kMaxAttributes lines in one request
  request_too_large,    // more than kMaxRequestSize bytes in one request
  missing_equals,       // a non-empty line without '='
  bad_name,             // empty, over-long, or with bytes outside [A-Za-z0-9_.-]
  duplicate_attribute,  // the same name twice in one request
  nul_byte,             // a NUL byte anywhere in a line
};

[[nodiscard]] std::string_view to_string(ParseError error);

// Incremental parser: feed() appends received bytes; next() returns the next
// complete request, nothing when more bytes are needed, or the first error.
// After an error the stream cannot be resynchronised: the caller answers and
// closes the connection.
class RequestParser {
 public:
  struct Next {
    enum class Kind : std::uint8_t { need_more, request, error };
    Kind kind = Kind::need_more;
    Request request;
    ParseError error = ParseError::line_too_long;
  };

  void feed(std::string_view bytes);
  [[nodiscard]] Next next();
  // True when some bytes of an unfinished request are buffered (a disconnect
  // now loses a partial request; a stall now is a stalled request).
  [[nodiscard]] bool in_request() const { return buffer_.size() > consumed_ || current_size_ > 0; }

 private:
  [[nodiscard]] std::optional<ParseError> take_line(std::string_view line);

  std::string buffer_;  // bytes not yet consumed as lines
  std::size_t consumed_ = 0;
  Request current_;
  std::size_t current_size_ = 0;
  std::size_t current_lines_ = 0;
  std::optional<ParseError> failed_;
};

// Parses one whole request text (for tests and the fuzz target): the text must
// hold one request ending with its empty line (bytes after it are ignored);
// neither field is set when the text ends before the request does.
struct ParseResult {
  std::optional<Request> request;
  std::optional<ParseError> error;
};
[[nodiscard]] ParseResult parse_request(std::string_view text);

}  // namespace domainauth::policy
