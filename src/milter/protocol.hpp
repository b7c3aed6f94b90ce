// The Sendmail/Postfix milter protocol, version 6, as values: command and reply
// codes, the action (SMFIF_*) and protocol-step (SMFIP_*) flag words exchanged in
// option negotiation, the macro stages, the limits we hold untrusted input to, and
// the typed form of every MTA command. There is no RFC; the reference is the MTA
// side as Postfix 3.x implements it (src/milter/milter8.c) and Sendmail's
// libmilter (include/libmilter/mfdef.h). No I/O here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "net/address.hpp"

namespace domainauth::milter {

// The version we speak; an MTA offering more gets this, one offering less keeps its own.
inline constexpr std::uint32_t kProtocolVersion = 6;
inline constexpr std::uint32_t kOldestProtocolVersion = 2;

// Largest packet (command byte + payload) we accept: a body chunk of 1 MiB, the most
// an MTA sends even under SMFIP_MDS_1M, plus slack for a header field or macro set
// of the same size. Anything larger is refused before it is read.
inline constexpr std::size_t kMaxPayloadSize = std::size_t{1} << 20;
inline constexpr std::size_t kMaxPacketLength = kMaxPayloadSize + 1;
// A multi-line SMTP reply we send: at most this many lines (libmilter's limit) of
// at most this many text characters (SMTP's 512-octet reply line, RFC 5321 4.5.3.1.5,
// minus "550-5.7.1 " and CRLF).
inline constexpr std::size_t kMaxReplyLines = 32;
inline constexpr std::size_t kMaxReplyLineLength = 480;

// MTA -> filter commands (SMFIC_*).
enum class CommandCode : std::uint8_t {
  abort = 'A',           // SMFIC_ABORT: forget the current message, keep the connection
  body = 'B',            // SMFIC_BODY: a body chunk
  connect = 'C',         // SMFIC_CONNECT: SMTP client connected
  macro = 'D',           // SMFIC_MACRO: macro values for the next command
  end_of_message = 'E',  // SMFIC_BODYEOB: end of message (may carry a last chunk)
  helo = 'H',            // SMFIC_HELO
  quit_nc = 'K',         // SMFIC_QUIT_NC: SMTP connection over, filter connection reused
  header = 'L',          // SMFIC_HEADER
  mail = 'M',            // SMFIC_MAIL: MAIL FROM and its ESMTP arguments
  end_of_headers = 'N',  // SMFIC_EOH
  optneg = 'O',          // SMFIC_OPTNEG: option negotiation
  quit = 'Q',            // SMFIC_QUIT: close the filter connection
  rcpt = 'R',            // SMFIC_RCPT: RCPT TO and its ESMTP arguments
  data = 'T',            // SMFIC_DATA
  unknown = 'U',         // SMFIC_UNKNOWN: an SMTP command the MTA did not know
};

// Filter -> MTA replies and modification requests (SMFIR_*).
enum class ReplyCode : std::uint8_t {
  add_recipient = '+',           // SMFIR_ADDRCPT
  delete_recipient = '-',        // SMFIR_DELRCPT
  add_recipient_with_args = '2', // SMFIR_ADDRCPT_PAR
  accept = 'a',                  // SMFIR_ACCEPT
  continue_ = 'c',               // SMFIR_CONTINUE
  discard = 'd',                 // SMFIR_DISCARD
  change_from = 'e',             // SMFIR_CHGFROM
  add_header = 'h',              // SMFIR_ADDHEADER
  insert_header = 'i',           // SMFIR_INSHEADER
  change_header = 'm',           // SMFIR_CHGHEADER
  optneg = 'O',                  // SMFIC_OPTNEG, also the negotiation reply
  progress = 'p',                // SMFIR_PROGRESS
  quarantine = 'q',              // SMFIR_QUARANTINE
  reject = 'r',                  // SMFIR_REJECT
  skip = 's',                    // SMFIR_SKIP
  tempfail = 't',                // SMFIR_TEMPFAIL
  reply_code = 'y',              // SMFIR_REPLYCODE
};

// A set of flags of one enum class (the enum's values are single bits).
template <class E>
class Flags {
 public:
  using Bits = std::underlying_type_t<E>;
  constexpr Flags() = default;
  constexpr Flags(E flag) : bits_(static_cast<Bits>(flag)) {}  // NOLINT: implicit by design
  static constexpr Flags from_bits(Bits bits) { Flags f; f.bits_ = bits; return f; }
  [[nodiscard]] constexpr Bits bits() const { return bits_; }
  [[nodiscard]] constexpr bool has(E flag) const { return (bits_ & static_cast<Bits>(flag)) != 0; }
  [[nodiscard]] constexpr bool contains(Flags other) const { return (bits_ & other.bits_) == other.bits_; }
  [[nodiscard]] constexpr bool empty() const { return bits_ == 0; }
  constexpr Flags operator|(Flags o) const { return from_bits(bits_ | o.bits_); }
  constexpr Flags operator&(Flags o) const { return from_bits(bits_ & o.bits_); }
  constexpr Flags without(Flags o) const { return from_bits(bits_ & ~o.bits_); }
  constexpr Flags& operator|=(Flags o) { bits_ |= o.bits_; return *this; }
  friend constexpr bool operator==(Flags, Flags) = default;

 private:
  Bits bits_ = 0;
};

// What the filter may ask the MTA to change (SMFIF_*), offered by the MTA in OPTNEG.
enum class Action : std::uint32_t {
  add_headers = 0x01,              // SMFIF_ADDHDRS: add and insert header fields
  change_body = 0x02,              // SMFIF_CHGBODY
  add_recipients = 0x04,           // SMFIF_ADDRCPT
  delete_recipients = 0x08,        // SMFIF_DELRCPT
  change_headers = 0x10,           // SMFIF_CHGHDRS: change and delete header fields
  quarantine = 0x20,               // SMFIF_QUARANTINE
  change_from = 0x40,              // SMFIF_CHGFROM
  add_recipients_with_args = 0x80, // SMFIF_ADDRCPT_PAR
  set_macro_lists = 0x100,         // SMFIF_SETSYMLIST: name the macros wanted per stage
};
using Actions = Flags<Action>;
constexpr Actions operator|(Action a, Action b) { return Actions(a) | b; }

// Protocol steps (SMFIP_*): which events the MTA leaves out (no_*), which need no
// reply (no_reply_*), and protocol extensions.
enum class Step : std::uint32_t {
  no_connect = 0x1,                  // SMFIP_NOCONNECT
  no_helo = 0x2,                     // SMFIP_NOHELO
  no_mail = 0x4,                     // SMFIP_NOMAIL
  no_rcpt = 0x8,                     // SMFIP_NORCPT
  no_body = 0x10,                    // SMFIP_NOBODY
  no_headers = 0x20,                 // SMFIP_NOHDRS
  no_end_of_headers = 0x40,          // SMFIP_NOEOH
  no_reply_header = 0x80,            // SMFIP_NR_HDR (a.k.a. SMFIP_NOHREPL)
  no_unknown = 0x100,                // SMFIP_NOUNKNOWN
  no_data = 0x200,                   // SMFIP_NODATA
  skip = 0x400,                      // SMFIP_SKIP: the MTA understands SMFIR_SKIP
  rejected_recipients = 0x800,       // SMFIP_RCPT_REJ: also send rejected RCPTs
  no_reply_connect = 0x1000,         // SMFIP_NR_CONN
  no_reply_helo = 0x2000,            // SMFIP_NR_HELO
  no_reply_mail = 0x4000,            // SMFIP_NR_MAIL
  no_reply_rcpt = 0x8000,            // SMFIP_NR_RCPT
  no_reply_data = 0x10000,           // SMFIP_NR_DATA
  no_reply_unknown = 0x20000,        // SMFIP_NR_UNKN
  no_reply_end_of_headers = 0x40000, // SMFIP_NR_EOH
  no_reply_body = 0x80000,           // SMFIP_NR_BODY
  header_leading_space = 0x100000,   // SMFIP_HDR_LEADSPC: header values keep their leading space
  max_data_size_256k = 0x10000000,   // SMFIP_MDS_256K
  max_data_size_1m = 0x20000000,     // SMFIP_MDS_1M
};
using Steps = Flags<Step>;
constexpr Steps operator|(Step a, Step b) { return Steps(a) | b; }

// Stages in SMFIR_SETSYMLIST / the OPTNEG reply's macro lists (SMFIM_*).
enum class MacroListStage : std::uint32_t {
  connect = 0, helo = 1, mail = 2, rcpt = 3, data = 4, end_of_message = 5, end_of_headers = 6,
};

// The stage an SMFIC_MACRO packet belongs to: the code of the command it precedes.
enum class MacroStage : std::uint8_t {
  connect = 'C', helo = 'H', mail = 'M', rcpt = 'R', data = 'T',
  end_of_headers = 'N', end_of_message = 'E', unknown = 'U',
};

// SMFIA_*: the SMTP client's address family in SMFIC_CONNECT.
enum class Family : std::uint8_t { unknown = 'U', unix_socket = 'L', inet = '4', inet6 = '6' };

[[nodiscard]] std::string_view to_string(CommandCode code);
[[nodiscard]] std::string_view to_string(ReplyCode code);

// ---- MTA commands, decoded. Strings are views into the packet they came from and
// ---- live as long as it does.

struct OptionNegotiation {            // SMFIC_OPTNEG
  std::uint32_t version = 0;
  Actions actions;
  Steps steps;
};
struct Macro {
  std::string_view name;              // as sent: "j", "{daemon_name}"
  std::string_view value;
};
struct MacroDefinition {              // SMFIC_MACRO
  MacroStage stage = MacroStage::connect;
  std::vector<Macro> macros;
};
struct Connect {                      // SMFIC_CONNECT
  std::string_view hostname;          // client host name, or "[address]" when unknown
  Family family = Family::unknown;
  std::uint16_t port = 0;             // 0 for unix and unknown
  std::string_view address;           // as sent: address text or socket path; empty when unknown
  std::optional<net::IpAddress> ip;   // parsed for inet / inet6
};
struct Helo { std::string_view name; };
struct Envelope {                     // SMFIC_MAIL, SMFIC_RCPT
  std::string_view address;           // as sent, usually with <>
  std::vector<std::string_view> esmtp_args;
};
struct MailFrom : Envelope {};
struct RcptTo : Envelope {};
struct Data {};
struct Header { std::string_view name; std::string_view value; };
struct EndOfHeaders {};
struct BodyChunk { std::string_view bytes; };
struct EndOfMessage { std::string_view bytes; };  // a last chunk (Sendmail), usually empty
struct Abort {};
struct Quit {};
struct QuitNoClose {};
struct UnknownCommand { std::string_view line; };

using Command = std::variant<OptionNegotiation, MacroDefinition, Connect, Helo, MailFrom, RcptTo, Data,
                             Header, EndOfHeaders, BodyChunk, EndOfMessage, Abort, Quit, QuitNoClose,
                             UnknownCommand>;

}  // namespace domainauth::milter
