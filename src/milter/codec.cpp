// Milter packet framing and decoding of MTA commands (see codec.hpp). Reads
// untrusted bytes: every field is bounds-checked, every string must end in a NUL
// inside its packet, and nothing is allocated for a packet above kMaxPacketLength.
#include "milter/codec.hpp"

#include <algorithm>
#include <cstring>

namespace domainauth::milter {

// The enum's own name: a token for key=value log lines.
std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::empty_packet: return "empty_packet";
    case ErrorCode::oversize_packet: return "oversize_packet";
    case ErrorCode::unknown_command: return "unknown_command";
    case ErrorCode::truncated: return "truncated";
    case ErrorCode::missing_nul: return "missing_nul";
    case ErrorCode::trailing_data: return "trailing_data";
    case ErrorCode::bad_family: return "bad_family";
    case ErrorCode::bad_address: return "bad_address";
    case ErrorCode::bad_macro_stage: return "bad_macro_stage";
    case ErrorCode::odd_macro_list: return "odd_macro_list";
    case ErrorCode::missing_argument: return "missing_argument";
    case ErrorCode::unsupported_version: return "unsupported_version";
    case ErrorCode::actions_not_offered: return "actions_not_offered";
    case ErrorCode::bad_reply_code: return "bad_reply_code";
    case ErrorCode::bad_enhanced_status: return "bad_enhanced_status";
    case ErrorCode::bad_text: return "bad_text";
    case ErrorCode::bad_header_name: return "bad_header_name";
    case ErrorCode::bad_header_value: return "bad_header_value";
    case ErrorCode::bad_argument: return "bad_argument";
  }
  return "unknown_error";
}

std::string_view to_string(CommandCode code) {
  switch (code) {
    case CommandCode::abort: return "abort";
    case CommandCode::body: return "body";
    case CommandCode::connect: return "connect";
    case CommandCode::macro: return "macro";
    case CommandCode::end_of_message: return "eom";
    case CommandCode::helo: return "helo";
    case CommandCode::quit_nc: return "quit_nc";
    case CommandCode::header: return "header";
    case CommandCode::mail: return "mail";
    case CommandCode::end_of_headers: return "eoh";
    case CommandCode::optneg: return "optneg";
    case CommandCode::quit: return "quit";
    case CommandCode::rcpt: return "rcpt";
    case CommandCode::data: return "data";
    case CommandCode::unknown: return "unknown";
  }
  return "?";
}

std::string_view to_string(ReplyCode code) {
  switch (code) {
    case ReplyCode::add_recipient: return "addrcpt";
    case ReplyCode::delete_recipient: return "delrcpt";
    case ReplyCode::add_recipient_with_args: return "addrcpt_par";
    case ReplyCode::accept: return "accept";
    case ReplyCode::continue_: return "continue";
    case ReplyCode::discard: return "discard";
    case ReplyCode::change_from: return "chgfrom";
    case ReplyCode::add_header: return "addheader";
    case ReplyCode::insert_header: return "insheader";
    case ReplyCode::change_header: return "chgheader";
    case ReplyCode::optneg: return "optneg";
    case ReplyCode::progress: return "progress";
    case ReplyCode::quarantine: return "quarantine";
    case ReplyCode::reject: return "reject";
    case ReplyCode::skip: return "skip";
    case ReplyCode::tempfail: return "tempfail";
    case ReplyCode::reply_code: return "replycode";
  }
  return "?";
}

namespace {

std::uint32_t read_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | u[3];
}

}  // namespace

// ---------------------------------------------------------------- framing

std::span<char> FrameReader::prepare() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (capacity_ > kKeepCapacity) {
      buffer_.reset();
      capacity_ = 0;
    }
  } else if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  std::size_t want = kReadChunk;
  if (end_ >= 4) {
    const std::size_t length = read_be32(buffer_.get());
    if (length <= kMaxPacketLength) {
      want = std::max(want, 4 + length - std::min(end_, 4 + length));
    }
  }
  if (capacity_ < end_ + want) {
    const std::size_t grown = std::max(end_ + want, 2 * capacity_);
    std::unique_ptr<char[]> bigger(new char[grown]);
    if (end_ > 0) std::memcpy(bigger.get(), buffer_.get(), end_);
    buffer_ = std::move(bigger);
    capacity_ = grown;
  }
  return {buffer_.get() + end_, capacity_ - end_};
}

void FrameReader::commit(std::size_t n) { end_ = std::min(end_ + n, capacity_); }

FrameReader::Next FrameReader::next() {
  const std::size_t available = end_ - begin_;
  if (available < 4) {
    return {};
  }
  const std::size_t length = read_be32(buffer_.get() + begin_);
  if (length == 0) {
    return {Status::error, {}, {ErrorCode::empty_packet, "packet length 0"}};
  }
  if (length > kMaxPacketLength) {
    return {Status::error, {}, {ErrorCode::oversize_packet,
            "packet length " + std::to_string(length) + " > " + std::to_string(kMaxPacketLength)}};
  }
  if (available < 4 + length) {
    return {};
  }
  Frame frame;
  frame.command = static_cast<std::uint8_t>(buffer_[begin_ + 4]);
  frame.payload = std::string_view(buffer_.get() + begin_ + 5, length - 1);
  begin_ += 4 + length;
  return {Status::frame, frame, {}};
}

// ---------------------------------------------------------------- decoding

namespace {

// Reads fields front to back from one packet's payload.
class Cursor {
 public:
  explicit Cursor(std::string_view payload) : rest_(payload) {}

  [[nodiscard]] bool empty() const { return rest_.empty(); }

  // A NUL-terminated string (the NUL is consumed, not returned).
  [[nodiscard]] std::optional<std::string_view> string() {
    const auto nul = rest_.find('\0');
    if (nul == std::string_view::npos) {
      return std::nullopt;
    }
    auto s = rest_.substr(0, nul);
    rest_.remove_prefix(nul + 1);
    return s;
  }

  [[nodiscard]] std::optional<std::uint8_t> u8() {
    if (rest_.empty()) {
      return std::nullopt;
    }
    auto v = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return v;
  }

  [[nodiscard]] std::optional<std::uint16_t> u16() {
    if (rest_.size() < 2) {
      return std::nullopt;
    }
    const auto* u = reinterpret_cast<const unsigned char*>(rest_.data());
    auto v = static_cast<std::uint16_t>((u[0] << 8) | u[1]);
    rest_.remove_prefix(2);
    return v;
  }

  [[nodiscard]] std::optional<std::uint32_t> u32() {
    if (rest_.size() < 4) {
      return std::nullopt;
    }
    auto v = read_be32(rest_.data());
    rest_.remove_prefix(4);
    return v;
  }

 private:
  std::string_view rest_;
};

Error truncated(std::string_view what) { return {ErrorCode::truncated, std::string(what) + ": truncated"}; }
Error missing_nul(std::string_view what) {
  return {ErrorCode::missing_nul, std::string(what) + ": string not NUL-terminated"};
}
Error trailing(std::string_view what) {
  return {ErrorCode::trailing_data, std::string(what) + ": unexpected bytes after the last field"};
}

// A command whose payload is one string and nothing else.
Result<std::string_view> single_string(std::string_view payload, std::string_view what) {
  Cursor c(payload);
  auto s = c.string();
  if (!s) {
    return missing_nul(what);
  }
  if (!c.empty()) {
    return trailing(what);
  }
  return *s;
}

template <class T>
Result<Command> no_payload(std::string_view payload, std::string_view what) {
  if (!payload.empty()) {
    return trailing(what);
  }
  return Command{T{}};
}

Result<Command> decode_optneg(std::string_view payload) {
  Cursor c(payload);
  auto version = c.u32();
  auto actions = c.u32();
  auto steps = c.u32();
  if (!version || !actions || !steps) {
    return truncated("optneg");
  }
  if (!c.empty()) {
    return trailing("optneg");
  }
  return Command{OptionNegotiation{*version, Actions::from_bits(*actions), Steps::from_bits(*steps)}};
}

std::optional<MacroStage> macro_stage(std::uint8_t code) {
  switch (code) {
    case 'C': case 'H': case 'M': case 'R': case 'T': case 'N': case 'E': case 'U':
      return static_cast<MacroStage>(code);
    // Postfix (milter8.c) sends its end-of-header macros before every SMFIC_HEADER
    // and its end-of-data macros before every SMFIC_BODY; they are those stages' sets.
    case 'L':
      return MacroStage::end_of_headers;
    case 'B':
      return MacroStage::end_of_message;
    default:
      return std::nullopt;
  }
}

Result<Command> decode_macro(std::string_view payload) {
  Cursor c(payload);
  auto code = c.u8();
  if (!code) {
    return truncated("macro");
  }
  auto stage = macro_stage(*code);
  if (!stage) {
    return Error{ErrorCode::bad_macro_stage, "macro: no macros for command code " + std::to_string(*code)};
  }
  MacroDefinition def{*stage, {}};
  while (!c.empty()) {
    auto name = c.string();
    if (!name) {
      return missing_nul("macro name");
    }
    if (c.empty()) {
      return Error{ErrorCode::odd_macro_list, "macro " + std::string(*name) + " has no value"};
    }
    auto value = c.string();
    if (!value) {
      return missing_nul("macro value");
    }
    def.macros.push_back({*name, *value});
  }
  return Command{std::move(def)};
}

// The address of SMFIC_CONNECT: IPv6 may come as "IPv6:..." (Sendmail) and with
// a "%zone" suffix; both are dropped before parsing.
std::optional<net::IpAddress> parse_client_ip(Family family, std::string_view text) {
  if (family == Family::inet) {
    return net::IpAddress::parse_v4(text);
  }
  if (text.size() >= 5 && (text.substr(0, 5) == "IPv6:" || text.substr(0, 5) == "ipv6:")) {
    text.remove_prefix(5);
  }
  text = text.substr(0, text.find('%'));
  return net::IpAddress::parse_v6(text);
}

Result<Command> decode_connect(std::string_view payload) {
  Cursor c(payload);
  auto hostname = c.string();
  if (!hostname) {
    return missing_nul("connect hostname");
  }
  auto family_code = c.u8();
  if (!family_code) {
    return truncated("connect");
  }
  Connect connect;
  connect.hostname = *hostname;
  switch (*family_code) {
    case 'U': case 'L': case '4': case '6':
      connect.family = static_cast<Family>(*family_code);
      break;
    default:
      return Error{ErrorCode::bad_family, "connect: unknown address family " + std::to_string(*family_code)};
  }
  if (connect.family != Family::unknown) {
    auto port = c.u16();
    if (!port) {
      return truncated("connect");
    }
    auto address = c.string();
    if (!address) {
      return missing_nul("connect address");
    }
    connect.port = *port;
    connect.address = *address;
    if (connect.family == Family::inet || connect.family == Family::inet6) {
      connect.ip = parse_client_ip(connect.family, *address);
      if (!connect.ip) {
        return Error{ErrorCode::bad_address, "connect: not an IP address of its family: " +
                     std::string(address->substr(0, 64))};
      }
    }
  }
  if (!c.empty()) {
    return trailing("connect");
  }
  return Command{connect};
}

template <class T>
Result<Command> decode_envelope(std::string_view payload, std::string_view what) {
  Cursor c(payload);
  T envelope;
  auto address = c.string();
  if (!address) {
    return payload.empty() ? Error{ErrorCode::missing_argument, std::string(what) + ": no address"}
                           : missing_nul(what);
  }
  envelope.address = *address;
  while (!c.empty()) {
    auto arg = c.string();
    if (!arg) {
      return missing_nul(what);
    }
    envelope.esmtp_args.push_back(*arg);
  }
  return Command{std::move(envelope)};
}

Result<Command> decode_header(std::string_view payload) {
  Cursor c(payload);
  auto name = c.string();
  auto value = name ? c.string() : std::nullopt;
  if (!name || !value) {
    return missing_nul("header");
  }
  if (!c.empty()) {
    return trailing("header");
  }
  return Command{Header{*name, *value}};
}

}  // namespace

Result<Command> decode(const Frame& frame) {
  const std::string_view p = frame.payload;
  switch (static_cast<CommandCode>(frame.command)) {
    case CommandCode::optneg: return decode_optneg(p);
    case CommandCode::macro: return decode_macro(p);
    case CommandCode::connect: return decode_connect(p);
    case CommandCode::helo: {
      auto name = single_string(p, "helo");
      if (!name.ok()) return name.error();
      return Command{Helo{name.value()}};
    }
    case CommandCode::mail: return decode_envelope<MailFrom>(p, "mail");
    case CommandCode::rcpt: return decode_envelope<RcptTo>(p, "rcpt");
    case CommandCode::data: return no_payload<Data>(p, "data");
    case CommandCode::header: return decode_header(p);
    case CommandCode::end_of_headers: return no_payload<EndOfHeaders>(p, "eoh");
    case CommandCode::body: return Command{BodyChunk{p}};
    case CommandCode::end_of_message: return Command{EndOfMessage{p}};
    case CommandCode::abort: return no_payload<Abort>(p, "abort");
    case CommandCode::quit: return no_payload<Quit>(p, "quit");
    case CommandCode::quit_nc: return no_payload<QuitNoClose>(p, "quit_nc");
    case CommandCode::unknown: {
      auto line = single_string(p, "unknown");
      if (!line.ok()) return line.error();
      return Command{UnknownCommand{line.value()}};
    }
  }
  return Error{ErrorCode::unknown_command, "unknown command code " + std::to_string(frame.command)};
}

}  // namespace domainauth::milter
