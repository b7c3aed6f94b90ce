// DKIM canonicalization of header fields and body (RFC 6376 3.4), streaming for
// the body: it is fed in chunks of any size and the output never depends on
// where the chunks break. Body input may use CRLF or bare LF line endings; each
// line is canonicalized as if it ended in CRLF. Reads untrusted input: the
// header fields and body of a message.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mail/header.hpp"

namespace domainauth::mail {

enum class Canonicalization { simple, relaxed };

[[nodiscard]] std::string_view to_string(Canonicalization c);
[[nodiscard]] std::optional<Canonicalization> parse_canonicalization(std::string_view text);

// RFC 6376 3.4.1 / 3.4.2: the canonical form of one field, ending in CRLF.
[[nodiscard]] std::string canonicalize_header(const HeaderField& field, Canonicalization c);
// The same, appended to `out` (no temporary string per field).
void append_canonical_header(std::string& out, const HeaderField& field, Canonicalization c);

// Receives canonical body bytes.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(std::string_view bytes) = 0;
};

// RFC 6376 3.4.3 / 3.4.4 body canonicalization as a stream transformer.
// Trailing empty lines are held back until non-empty content follows them, so
// they vanish at the end of the body; the empty-body rules (simple: one CRLF,
// relaxed: nothing) are applied by finish(). Output is collected in one buffer
// and handed to the sink in pieces of about kBuffer octets (or the size given). Runs that
// canonicalization leaves unchanged are found with a vector scan and copied
// whole; only the octets around a TAB, a WSP run, WSP before a line end, a bare
// LF or an empty line go through the octet-by-octet state machine.
class BodyCanonicalizer {
 public:
  static constexpr std::size_t kBuffer = 16 * 1024;
  // buffer: octets collected before they go to the sink, at least 2 (the tests
  // use small ones to cross buffer ends often).
  BodyCanonicalizer(Canonicalization c, ByteSink& sink, std::size_t buffer = kBuffer);
  BodyCanonicalizer(const BodyCanonicalizer&) = delete;
  BodyCanonicalizer& operator=(const BodyCanonicalizer&) = delete;

  void feed(std::string_view chunk);
  void finish();

 private:
  static constexpr std::size_t kSlack = 64;  // the vector copy may store one block past the buffer
  [[nodiscard]] bool plain(char c) const;
  std::size_t copy_run(const char* s, std::size_t i, std::size_t n);
  void step(char c);
  void begin_content();
  void end_line();
  void emit(std::string_view bytes);
  void flush();

  Canonicalization canon_;
  ByteSink& sink_;
  std::size_t buffer_;
  std::unique_ptr<char[]> out_;  // buffer_ + kSlack octets (not cleared); used_ of them are output
  std::size_t used_ = 0;
  std::size_t empty_lines_ = 0;  // CRLFs held back (maybe trailing empty lines)
  bool pending_cr_ = false;      // last octet seen was CR: a line end if LF follows
  bool pending_wsp_ = false;     // relaxed: white space seen, emitted as one SP before content
  bool line_has_content_ = false;
  bool any_output_ = false;
};

}  // namespace domainauth::mail
