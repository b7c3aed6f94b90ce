// RFC 5322 header fields and a streaming splitter of a raw message into header
// fields and body. Input may use CRLF or bare LF line endings and 8-bit bytes;
// the obsolete syntax of RFC 5322 4.5 (white space before the colon) is
// tolerated. Every field is kept exactly as received (folding included), with
// its line endings made CRLF, because DKIM "simple" canonicalization signs the
// bytes as they are. Reads untrusted input: the whole message.
#pragma once

#include "text/ascii.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::mail {

// Limits against hostile messages (a header block bigger than this is refused).
inline constexpr std::size_t kMaxHeaderBytes = 1024 * 1024;
inline constexpr std::size_t kMaxHeaderFields = 1000;

struct HeaderField {
  std::string name;  // as written, without white space before the colon
  std::string raw;   // the whole field: name, colon, value, folds as CRLF; no final CRLF

  // The text after the colon, folds included (what DKIM calls the field value).
  [[nodiscard]] std::string_view value() const;
  // Case-insensitive comparison of the field name (RFC 5322 1.2.2).
  [[nodiscard]] bool is(std::string_view other) const;
};

// Case-insensitive ASCII equality (text/ascii.hpp).
using text::iequals;

// RFC 5322 3.6.8: a field name is one or more ftext characters (printable
// ASCII but ':').
[[nodiscard]] bool is_field_name(std::string_view name);

// Builds a field from one logical line (folds included, CRLF or LF). Returns
// nothing when the text has no colon or the name is not RFC 5322 ftext.
[[nodiscard]] std::optional<HeaderField> parse_header_field(std::string_view text);

// The value with folding removed (CRLF before WSP deleted) and outer white space
// trimmed: for reading addresses and tag-lists, not for signing.
[[nodiscard]] std::string unfold(std::string_view value);

// Splits a raw message, fed in chunks of any size, into header fields and body.
// A leading mbox "From " line is skipped. The header block ends at the first
// empty line (or at the end of input when there is no body).
class MessageSplitter {
 public:
  // Feeds the next chunk; the part of it that belongs to the body is returned
  // (empty while the header block is still being read). After an error (see
  // error()) every further byte is ignored.
  [[nodiscard]] std::string_view feed(std::string_view chunk);
  // End of input: a header block without a following empty line is complete.
  void finish();

  [[nodiscard]] bool headers_complete() const { return state_ == State::body; }
  [[nodiscard]] const std::vector<HeaderField>& headers() const { return fields_; }
  [[nodiscard]] std::vector<HeaderField> take_headers() { return std::move(fields_); }
  // Why the header block was refused; empty when it was not.
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  enum class State { headers, body, failed };
  void end_line(std::string_view line);
  void flush_field();
  void fail(std::string why);

  State state_ = State::headers;
  std::string line_;     // the current physical line, without its line ending
  std::string field_;    // the field being collected, folds as CRLF
  std::size_t total_ = 0;
  bool first_line_ = true;
  std::vector<HeaderField> fields_;
  std::string error_;
};

}  // namespace domainauth::mail
