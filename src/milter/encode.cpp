// Option negotiation and the encoding of every filter reply and modification
// request (see codec.hpp). The values encoded come from our own handler, but many
// carry text from the message or the SMTP dialogue, so each is validated or escaped
// here: reply text cannot break out of its SMTP reply (RFC 5321 4.2, RFC 3463 codes),
// header fields cannot inject further fields (RFC 5322 2.2), and no string can
// carry a NUL that would cut its packet short.
#include <algorithm>

#include "milter/codec.hpp"

namespace domainauth::milter {

namespace {

// Builds one packet: 4-byte length, code, fields.
class PacketWriter {
 public:
  explicit PacketWriter(ReplyCode code) {
    out_.assign(4, '\0');
    out_.push_back(static_cast<char>(code));
  }
  void u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out_.push_back(static_cast<char>((v >> shift) & 0xff));
    }
  }
  void string(std::string_view s) {
    out_.append(s);
    out_.push_back('\0');
  }
  std::string finish() {
    const auto length = static_cast<std::uint32_t>(out_.size() - 4);
    for (int i = 0; i < 4; ++i) {
      out_[static_cast<std::size_t>(i)] = static_cast<char>((length >> (24 - 8 * i)) & 0xff);
    }
    return std::move(out_);
  }

 private:
  std::string out_;
};

bool is_digits(std::string_view s, std::size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 3463 2: class "." subject "." detail; class 2, 4 or 5; subject and detail 1*3 digits.
bool valid_enhanced_status(std::string_view s, unsigned code) {
  const auto dot1 = s.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : s.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) {
    return false;
  }
  const auto cls = s.substr(0, dot1);
  return cls.size() == 1 && static_cast<unsigned>(cls[0] - '0') == code / 100 &&
         is_digits(s.substr(dot1 + 1, dot2 - dot1 - 1), 3) && is_digits(s.substr(dot2 + 1), 3);
}

// Splits reply text into lines at CRLF, LF or CR; a final line break ends the last line.
std::vector<std::string_view> reply_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (true) {
    const auto brk = text.find_first_of("\r\n");
    if (brk == std::string_view::npos) {
      lines.push_back(text);
      return lines;
    }
    lines.push_back(text.substr(0, brk));
    const std::size_t skip = (text[brk] == '\r' && brk + 1 < text.size() && text[brk + 1] == '\n') ? 2 : 1;
    text.remove_prefix(brk + skip);
    if (text.empty()) {
      return lines;
    }
  }
}

// '%' doubled (the MTA undoes it); control and non-ASCII bytes become '?'.
void append_escaped(std::string& out, std::string_view line) {
  for (char ch : line) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '%') {
      out += "%%";
    } else if (u < 0x20 || u >= 0x7f) {
      out += '?';
    } else {
      out += ch;
    }
  }
}

// RFC 5322 2.2: field name is printable US-ASCII except ':'.
bool valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 33 && u <= 126 && c != ':';
  });
}

// A header value as the MTA wants it: folded with "\n" + whitespace (CRLF becomes
// LF). A line break not followed by whitespace, or a folded line of whitespace
// only, would start a new field or end the header: refused.
Result<std::string> normalize_header_value(std::string_view value) {
  // (string_view::find_first_of calls memchr on the set once per octet.)
  const auto special_from = [value](std::size_t at) {
    while (at < value.size() && value[at] != '\0' && value[at] != '\r' && value[at] != '\n') ++at;
    return at;
  };
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto special = special_from(i);
    out.append(value.substr(i, special - i));
    if (special == value.size()) break;
    i = special;
    const char ch = value[i];
    if (ch == '\0') {
      return Error{ErrorCode::bad_header_value, "header value contains NUL"};
    }
    if (ch == '\r') {
      if (i + 1 >= value.size() || value[i + 1] != '\n') {
        return Error{ErrorCode::bad_header_value, "header value contains a bare CR"};
      }
      continue;
    }
    const auto line = value.substr(i + 1, value.find_first_of("\r\n", i + 1) - (i + 1));
    if (line.empty() || (line[0] != ' ' && line[0] != '\t') ||
        line.find_first_not_of(" \t") == std::string_view::npos) {
      return Error{ErrorCode::bad_header_value, "header value line break not followed by folded text"};
    }
    out += '\n';
  }
  return out;
}

// Addresses, ESMTP arguments and reasons: one line, no NUL.
bool valid_argument(std::string_view s) { return s.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos; }

Result<std::string> encode_header(ReplyCode code, std::optional<std::uint32_t> index, std::string_view name,
                                  std::string_view value, bool allow_empty_value) {
  if (!valid_header_name(name)) {
    return Error{ErrorCode::bad_header_name, "header name not printable ASCII without ':'"};
  }
  auto normalized = normalize_header_value(value);
  if (!normalized.ok()) {
    return normalized.error();
  }
  if (normalized.value().empty() && !allow_empty_value) {
    return Error{ErrorCode::bad_header_value, "empty header value"};
  }
  PacketWriter w(code);
  if (index) {
    w.u32(*index);
  }
  w.string(name);
  w.string(normalized.value());
  return w.finish();
}

Result<std::string> encode_address(ReplyCode code, std::string_view address,
                                   std::optional<std::string_view> args) {
  if (address.empty() || !valid_argument(address) || (args && !valid_argument(*args))) {
    return Error{ErrorCode::bad_argument, "address or ESMTP arguments empty or with NUL/line breaks"};
  }
  PacketWriter w(code);
  w.string(address);
  if (args) {
    w.string(*args);
  }
  return w.finish();
}

std::optional<std::string_view> args_if_any(const std::string& args) {
  return args.empty() ? std::nullopt : std::optional<std::string_view>(args);
}

}  // namespace

// ---------------------------------------------------------------- negotiation

Result<Negotiated> negotiate(const OptionNegotiation& offer, const Capabilities& wanted) {
  if (offer.version < kOldestProtocolVersion) {
    return Error{ErrorCode::unsupported_version, "MTA offers protocol version " + std::to_string(offer.version)};
  }
  if (!offer.actions.contains(wanted.actions)) {
    return Error{ErrorCode::actions_not_offered,
                 "MTA allows actions " + std::to_string(offer.actions.bits()) + ", filter needs " +
                     std::to_string(wanted.actions.bits())};
  }
  Negotiated agreed;
  agreed.version = std::min(offer.version, kProtocolVersion);
  agreed.actions = wanted.actions;
  agreed.steps = wanted.steps & offer.steps;
  if (!wanted.macros.empty() && offer.actions.has(Action::set_macro_lists)) {
    for (const auto& request : wanted.macros) {
      if (!valid_argument(request.names)) {
        return Error{ErrorCode::bad_argument, "macro list with NUL or line breaks"};
      }
    }
    agreed.actions |= Action::set_macro_lists;
    agreed.macros = wanted.macros;
  }
  return agreed;
}

std::string encode(const Negotiated& negotiated) {
  PacketWriter w(ReplyCode::optneg);
  w.u32(negotiated.version);
  w.u32(negotiated.actions.bits());
  w.u32(negotiated.steps.bits());
  for (const auto& request : negotiated.macros) {
    w.u32(static_cast<std::uint32_t>(request.stage));
    w.string(request.names);
  }
  return w.finish();
}

// ---------------------------------------------------------------- replies

Result<std::string> format_smtp_reply(const SmtpReply& reply) {
  if (reply.code < 400 || reply.code > 599) {
    return Error{ErrorCode::bad_reply_code, "SMTP reply code " + std::to_string(reply.code) + " is not 4xx/5xx"};
  }
  if (!valid_enhanced_status(reply.enhanced_status, reply.code)) {
    return Error{ErrorCode::bad_enhanced_status,
                 "enhanced status '" + reply.enhanced_status.substr(0, 16) + "' does not fit " +
                     std::to_string(reply.code)};
  }
  const auto lines = reply_lines(reply.text);
  if (lines.size() > kMaxReplyLines) {
    return Error{ErrorCode::bad_text, "reply text has " + std::to_string(lines.size()) + " lines"};
  }
  const std::string code = std::to_string(reply.code);
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].size() > kMaxReplyLineLength) {
      return Error{ErrorCode::bad_text, "reply line longer than " + std::to_string(kMaxReplyLineLength)};
    }
    const bool last = i + 1 == lines.size();
    out += code;
    out += last ? ' ' : '-';
    out += reply.enhanced_status;
    if (!lines[i].empty()) {
      out += ' ';
      append_escaped(out, lines[i]);
    }
    if (!last) {
      out += "\r\n";
    }
  }
  return out;
}

Result<std::string> encode(const Reply& reply) {
  ReplyCode code = ReplyCode::continue_;
  switch (reply.verdict) {
    case Verdict::continue_: code = ReplyCode::continue_; break;
    case Verdict::accept: code = ReplyCode::accept; break;
    case Verdict::reject: code = ReplyCode::reject; break;
    case Verdict::tempfail: code = ReplyCode::tempfail; break;
    case Verdict::discard: code = ReplyCode::discard; break;
    case Verdict::skip: code = ReplyCode::skip; break;
    case Verdict::smtp_reply: {
      auto text = format_smtp_reply(reply.smtp);
      if (!text.ok()) {
        return text.error();
      }
      PacketWriter w(ReplyCode::reply_code);
      w.string(text.value());
      return w.finish();
    }
  }
  return PacketWriter(code).finish();
}

std::string encode_progress() { return PacketWriter(ReplyCode::progress).finish(); }

Action required_action(const Modification& modification) {
  struct Visitor {
    Action operator()(const AddHeader&) const { return Action::add_headers; }
    Action operator()(const InsertHeader&) const { return Action::add_headers; }
    Action operator()(const ChangeHeader&) const { return Action::change_headers; }
    Action operator()(const Quarantine&) const { return Action::quarantine; }
    Action operator()(const AddRecipient& m) const {
      return m.esmtp_args.empty() ? Action::add_recipients : Action::add_recipients_with_args;
    }
    Action operator()(const DeleteRecipient&) const { return Action::delete_recipients; }
    Action operator()(const ChangeFrom&) const { return Action::change_from; }
  };
  return std::visit(Visitor{}, modification);
}

Result<std::string> encode(const Modification& modification) {
  struct Visitor {
    Result<std::string> operator()(const AddHeader& m) const {
      return encode_header(ReplyCode::add_header, std::nullopt, m.name, m.value, false);
    }
    Result<std::string> operator()(const InsertHeader& m) const {
      return encode_header(ReplyCode::insert_header, m.index, m.name, m.value, false);
    }
    Result<std::string> operator()(const ChangeHeader& m) const {
      if (m.index == 0) {
        return Error{ErrorCode::bad_argument, "change header index is 1-based"};
      }
      return encode_header(ReplyCode::change_header, m.index, m.name, m.value, true);
    }
    Result<std::string> operator()(const Quarantine& m) const {
      if (m.reason.empty() || !valid_argument(m.reason)) {
        return Error{ErrorCode::bad_argument, "quarantine reason empty or with NUL/line breaks"};
      }
      PacketWriter w(ReplyCode::quarantine);
      w.string(m.reason);
      return w.finish();
    }
    Result<std::string> operator()(const AddRecipient& m) const {
      return m.esmtp_args.empty()
                 ? encode_address(ReplyCode::add_recipient, m.address, std::nullopt)
                 : encode_address(ReplyCode::add_recipient_with_args, m.address, m.esmtp_args);
    }
    Result<std::string> operator()(const DeleteRecipient& m) const {
      return encode_address(ReplyCode::delete_recipient, m.address, std::nullopt);
    }
    Result<std::string> operator()(const ChangeFrom& m) const {
      return encode_address(ReplyCode::change_from, m.address, args_if_any(m.esmtp_args));
    }
  };
  return std::visit(Visitor{}, modification);
}

}  // namespace domainauth::milter
