// Milter protocol version 6 on the wire, filter side: framing of the byte stream
// into packets (4-byte big-endian length, command byte, payload), decoding of every
// MTA command into the typed values of protocol.hpp, option negotiation, and
// encoding of every reply and modification request we send. Pure: no I/O, no Asio.
// Reads untrusted input: everything the MTA (or whoever connects) sends. Every
// length is checked before use; strings must be NUL-terminated inside their packet;
// a malformed packet is an Error value naming what is wrong, never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "milter/protocol.hpp"

namespace domainauth::milter {

enum class ErrorCode : std::uint8_t {
  empty_packet,           // length 0: not even a command byte
  oversize_packet,        // length above kMaxPacketLength
  unknown_command,        // a command byte we do not know
  truncated,              // a fixed-size field runs past the end of the packet
  missing_nul,            // a string is not NUL-terminated inside the packet
  trailing_data,          // bytes left after the last field
  bad_family,             // SMFIC_CONNECT family is not U, L, 4 or 6
  bad_address,            // SMFIC_CONNECT address does not parse for its family
  bad_macro_stage,        // SMFIC_MACRO for a stage that has no macros
  odd_macro_list,         // SMFIC_MACRO name without a value
  missing_argument,       // SMFIC_MAIL / SMFIC_RCPT without an address
  unsupported_version,    // OPTNEG version below kOldestProtocolVersion
  actions_not_offered,    // the handler needs an action the MTA does not allow
  bad_reply_code,         // not a 4xx or 5xx SMTP code
  bad_enhanced_status,    // not class.subject.detail matching the reply code's class
  bad_text,               // reply text too long or too many lines
  bad_header_name,        // empty, or not printable ASCII without ':'
  bad_header_value,       // NUL, or a line break not followed by whitespace
  bad_argument,           // an address, reason or macro name with NUL or line breaks
};

[[nodiscard]] std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::truncated;
  std::string detail;  // one sentence for the log
};

// A value or an Error (std::expected is C++23; the fuzz build's clang 14 lacks it).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}    // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  [[nodiscard]] T& value() { return std::get<0>(v_); }
  [[nodiscard]] const T& value() const { return std::get<0>(v_); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// ---------------------------------------------------------------- framing

struct Frame {
  std::uint8_t command = 0;
  std::string_view payload;  // valid until the next FrameReader::prepare()
};

// Cuts a byte stream into packets. Use: prepare() -> read into the span -> commit(n)
// -> next() until it says need_more. Frames returned by next() stay valid until the
// next prepare(), so several pipelined packets can be handled without copying.
class FrameReader {
 public:
  enum class Status : std::uint8_t { frame, need_more, error };
  struct Next {
    Status status = Status::need_more;
    Frame frame;
    Error error;
  };

  // Writable space for at least the rest of the current packet (or kReadChunk bytes).
  [[nodiscard]] std::span<char> prepare();
  void commit(std::size_t n);
  [[nodiscard]] Next next();
  // Bytes of an incomplete packet are buffered (the peer is mid-packet).
  [[nodiscard]] bool partial() const { return end_ > begin_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

  static constexpr std::size_t kReadChunk = 4096;
  // After a large packet the buffer shrinks back once it is empty.
  static constexpr std::size_t kKeepCapacity = 128 * 1024;

 private:
  std::unique_ptr<char[]> buffer_;  // not zero-filled: only received bytes are read
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last received byte
};

// ---------------------------------------------------------------- decoding

[[nodiscard]] Result<Command> decode(const Frame& frame);

// ---------------------------------------------------------------- negotiation

// Macro names the filter wants at one stage (space separated, as Postfix's
// milter_*_macros): sent in the OPTNEG reply when the MTA offers set_macro_lists.
struct MacroRequest {
  MacroListStage stage = MacroListStage::connect;
  std::string names;
};

// What a filter asks for.
struct Capabilities {
  Actions actions;                    // needed: negotiation fails unless all are offered
  Steps steps;                        // wanted: only the ones the MTA offers are agreed
  std::vector<MacroRequest> macros;   // optional
};

// What was agreed: the OPTNEG reply.
struct Negotiated {
  std::uint32_t version = kProtocolVersion;
  Actions actions;
  Steps steps;
  std::vector<MacroRequest> macros;
};

[[nodiscard]] Result<Negotiated> negotiate(const OptionNegotiation& offer, const Capabilities& wanted);

// ---------------------------------------------------------------- replies

enum class Verdict : std::uint8_t {
  continue_,   // SMFIR_CONTINUE (at end of message: accept)
  accept,      // SMFIR_ACCEPT: accept, no more events for this message (connection, at connect/helo)
  reject,      // SMFIR_REJECT: the MTA's default 5xx
  tempfail,    // SMFIR_TEMPFAIL: the MTA's default 4xx
  discard,     // SMFIR_DISCARD: accept and drop (message stages only)
  skip,        // SMFIR_SKIP: no more body chunks, please (needs Step::skip)
  smtp_reply,  // SMFIR_REPLYCODE: reject or tempfail with our own reply
};

// SMFIR_REPLYCODE contents: "550 5.7.1 text". The text may hold several lines
// (separated by LF or CRLF); it becomes a multi-line reply. '%' is doubled (Sendmail
// and Postfix treat the reply as a format string) and control characters become
// '?', so the text cannot break the SMTP dialogue.
struct SmtpReply {
  unsigned code = 0;                // 4xx or 5xx
  std::string enhanced_status;      // RFC 3463 "5.7.1", class equal to code / 100
  std::string text;
};

struct Reply {
  Verdict verdict = Verdict::continue_;
  SmtpReply smtp;  // verdict == smtp_reply only

  static Reply continue_() { return {}; }
  static Reply accept() { return {Verdict::accept, {}}; }
  static Reply reject() { return {Verdict::reject, {}}; }
  static Reply tempfail() { return {Verdict::tempfail, {}}; }
  static Reply discard() { return {Verdict::discard, {}}; }
  static Reply skip() { return {Verdict::skip, {}}; }
  static Reply with_smtp(unsigned code, std::string enhanced_status, std::string text) {
    return {Verdict::smtp_reply, {code, std::move(enhanced_status), std::move(text)}};
  }
};

// Modification requests, allowed at end of message only. Header values follow
// SMFIP_HDR_LEADSPC: without it the MTA puts one space after the colon itself.
// Folded values use "\n" + whitespace (CRLF is turned into LF).
struct AddHeader { std::string name; std::string value; };
struct InsertHeader { std::uint32_t index = 0; std::string name; std::string value; };  // 0 = on top
struct ChangeHeader { std::uint32_t index = 1; std::string name; std::string value; };  // 1 = first; "" deletes
struct Quarantine { std::string reason; };
struct AddRecipient { std::string address; std::string esmtp_args; };  // args -> SMFIR_ADDRCPT_PAR
struct DeleteRecipient { std::string address; };
struct ChangeFrom { std::string address; std::string esmtp_args; };

using Modification = std::variant<AddHeader, InsertHeader, ChangeHeader, Quarantine, AddRecipient,
                                  DeleteRecipient, ChangeFrom>;

// The action that must have been negotiated before a modification may be sent.
[[nodiscard]] Action required_action(const Modification& modification);

// Each encoder returns one complete packet (length, code, payload).
[[nodiscard]] std::string encode(const Negotiated& negotiated);
[[nodiscard]] Result<std::string> encode(const Reply& reply);
[[nodiscard]] Result<std::string> encode(const Modification& modification);
[[nodiscard]] std::string encode_progress();

// The SMFIR_REPLYCODE payload text without its NUL: "550-5.7.1 a\r\n550 5.7.1 b".
[[nodiscard]] Result<std::string> format_smtp_reply(const SmtpReply& reply);

}  // namespace domainauth::milter
