// DKIM canonicalization of header fields and body (RFC 6376 3.4), streaming for
// the body: it is fed in chunks of any size and the output never depends on
// where the chunks break. Body input may use CRLF or bare LF line endings; each
// line is canonicalized as if it ended in CRLF. Reads untrusted input: the
// header fields and body of a message.
#pragma once

#include <cstddef>
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

// Receives canonical body bytes.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(std::string_view bytes) = 0;
};

// RFC 6376 3.4.3 / 3.4.4 body canonicalization as a stream transformer.
// Trailing empty lines are held back until non-empty content follows them, so
// they vanish at the end of the body; the empty-body rules (simple: one CRLF,
// relaxed: nothing) are applied by finish().
class BodyCanonicalizer {
 public:
  BodyCanonicalizer(Canonicalization c, ByteSink& sink) : canon_(c), sink_(sink) { out_.reserve(kBuffer); }
  BodyCanonicalizer(const BodyCanonicalizer&) = delete;
  BodyCanonicalizer& operator=(const BodyCanonicalizer&) = delete;

  void feed(std::string_view chunk);
  void finish();

 private:
  static constexpr std::size_t kBuffer = 16 * 1024;
  [[nodiscard]] std::size_t verbatim_end(std::string_view chunk, std::size_t from) const;
  std::size_t step(std::string_view chunk, std::size_t at);
  void content(std::string_view run);
  void end_line();
  void emit(std::string_view bytes);
  void flush();

  Canonicalization canon_;
  ByteSink& sink_;
  std::string out_;
  std::size_t empty_lines_ = 0;  // CRLFs held back (maybe trailing empty lines)
  bool pending_cr_ = false;      // last byte seen was CR: a line end if LF follows
  bool pending_wsp_ = false;     // relaxed: white space seen, emitted as one SP before content
  bool line_has_content_ = false;
  bool any_output_ = false;
};

}  // namespace domainauth::mail
