// Reading bounces (see bounce.hpp): the DSN fields of RFC 3464 2.3 (Status,
// Diagnostic-Code, Remote-MTA, Final-Recipient) wherever they appear, else the
// first SMTP reply line (RFC 5321 4.2: code, "-" or " ", RFC 3463 status) in a
// plain-text bounce such as Postfix's "said: 550-5.7.26 ...". Untrusted input:
// the bounce; it is cut at kMaxBounceBytes and lines longer than
// kMaxMatchedLine are not matched.
#include "setup/bounce.hpp"

#include <algorithm>
#include <regex>

#include "text/ascii.hpp"

namespace domainauth::setup {
namespace {

constexpr std::size_t kMaxMatchedLine = 2000;

std::vector<std::string> lines_of(std::string_view message) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < message.size()) {
    auto end = message.find('\n', pos);
    if (end == std::string_view::npos) end = message.size();
    std::string line(message.substr(pos, end - pos));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

bool starts_with_ci(std::string_view line, std::string_view prefix) {
  return line.size() >= prefix.size() && text::iequals(line.substr(0, prefix.size()), prefix);
}

// The value of the first "Name:" field (with folded continuation lines).
std::string field(const std::vector<std::string>& lines, std::string_view name, std::size_t from = 0) {
  const std::string prefix = std::string(name) + ":";
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (!starts_with_ci(lines[i], prefix)) continue;
    std::string value(text::trim_wsp(std::string_view(lines[i]).substr(prefix.size())));
    for (std::size_t j = i + 1; j < lines.size() && j <= i + kMaxReplyLines; ++j) {
      if (lines[j].empty() || (lines[j][0] != ' ' && lines[j][0] != '\t')) break;
      value += " " + std::string(text::trim_wsp(lines[j]));
    }
    return value;
  }
  return {};
}

const std::regex& reply_regex() {
  static const std::regex re(R"(\b([245][0-9][0-9])[ -]([245]\.[0-9]{1,3}\.[0-9]{1,3})\b)");
  return re;
}

// A plain-text bounce: the first line holding an SMTP reply, and its continuation.
std::string reply_in_text(const std::vector<std::string>& lines) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].size() > kMaxMatchedLine) continue;
    std::smatch m;
    if (!std::regex_search(lines[i], m, reply_regex())) continue;
    std::string reply = lines[i].substr(static_cast<std::size_t>(m.position(0)));
    for (std::size_t j = i + 1; j < lines.size() && j <= i + kMaxReplyLines; ++j) {
      auto t = text::trim_wsp(lines[j]);
      if (t.empty()) break;
      reply += " " + std::string(t);
    }
    return reply;
  }
  return {};
}

// "550-5.7.26 a 550-5.7.26 b 550 5.7.26 c" -> "550 5.7.26 a b c".
std::string tidy_reply(std::string reply) {
  std::smatch m;
  if (reply.size() > kMaxMatchedLine * kMaxReplyLines || !std::regex_search(reply, m, reply_regex())) return reply;
  const std::string head = m[1].str() + " " + m[2].str();
  std::string rest = std::regex_replace(reply.substr(static_cast<std::size_t>(m.position(0) + m.length(0))),
                                        reply_regex(), "");
  std::string out = head;
  bool space = true;
  for (char c : rest) {
    const bool blank = text::is_wsp(c);
    if (blank && space) continue;
    out += blank ? ' ' : c;
    space = blank;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > head.size() && out[head.size()] != ' ') out.insert(head.size(), " ");
  return out;
}

std::string address_in(std::string_view value) {
  auto open = value.find('<');
  auto close = value.find('>', open == std::string_view::npos ? 0 : open);
  if (open != std::string_view::npos && close != std::string_view::npos) {
    return std::string(value.substr(open + 1, close - open - 1));
  }
  auto semicolon = value.find(';');  // "rfc822; a@b"
  if (semicolon != std::string_view::npos) value = value.substr(semicolon + 1);
  return std::string(text::trim_wsp(value));
}

// The original message's From (in its message/rfc822 or text/rfc822-headers
// part), else the bounce's own To (a bounce goes to the original sender).
std::string original_sender(const std::vector<std::string>& lines) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!starts_with_ci(lines[i], "Content-Type:")) continue;
    const std::string type = text::to_lower(lines[i]);
    if (type.find("message/rfc822") == std::string::npos && type.find("text/rfc822-headers") == std::string::npos) {
      continue;
    }
    std::string from = field(lines, "From", i + 1);
    if (!from.empty()) return address_in(from);
  }
  return address_in(field(lines, "To"));
}

// Dotted IPv4: four groups of 1 to 3 digits.
bool dotted_ipv4(std::string_view s) {
  std::size_t groups = 0;
  for (std::size_t at = 0; at <= s.size(); ++groups) {
    std::size_t end = std::min(s.find('.', at), s.size());
    const std::string_view digits = s.substr(at, end - at);
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    at = end + 1;
  }
  return groups == 4;
}

// The address inside "[...]": dotted IPv4, or hex digits, colons and dots with a
// colon before any dot and something after it (IPv6, also with an IPv4 tail);
// Gmail follows it with spaces and a number. Scanned by hand: a regex with two
// unbounded runs backtracks quadratically over a long run of colons.
std::string bracketed_ip(std::string_view reply) {
  for (std::size_t open = reply.find('['); open != std::string_view::npos; open = reply.find('[', open + 1)) {
    const std::size_t end = reply.find_first_not_of("0123456789abcdefABCDEF:.", open + 1);
    if (end == std::string_view::npos) break;
    const std::string_view inside = reply.substr(open + 1, end - open - 1);
    std::size_t close = end;
    if (reply[close] == ' ') {  // "[192.0.2.1      12]"
      close = reply.find_first_not_of(' ', close);
      if (close == std::string_view::npos) break;
      const std::size_t digits_end = reply.find_first_not_of("0123456789", close);
      if (digits_end == close || digits_end == std::string_view::npos) continue;
      close = digits_end;
    }
    if (reply[close] != ']') continue;
    const std::size_t colon = inside.find(':');
    if (dotted_ipv4(inside) ||
        (colon != std::string_view::npos && colon < inside.find('.') && colon + 1 < inside.size())) {
      return std::string(inside);
    }
  }
  return {};
}

std::string sending_ip(const std::string& reply) {
  // "[192.0.2.1]", Gmail's "[192.0.2.1      12]", "[2001:db8::1]", Yahoo's "from 192.0.2.1,".
  static const std::regex after_from(R"(\bfrom ([0-9]{1,3}(\.[0-9]{1,3}){3})\b)");
  if (reply.size() > kMaxMatchedLine * kMaxReplyLines) return {};
  if (std::string ip = bracketed_ip(reply); !ip.empty()) return ip;
  std::smatch m;
  if (std::regex_search(reply, m, after_from)) return m[1].str();
  return {};
}

bool status_matches(std::string_view pattern, std::string_view status) {
  if (pattern.empty()) return true;
  if (pattern.back() == '.') return status.substr(0, pattern.size()) == pattern;
  return status == pattern;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  return text::to_lower(haystack).find(text::to_lower(needle)) != std::string::npos;
}

}  // namespace

const BouncePattern* match_pattern(std::string_view status, std::string_view reply) {
  for (const auto& p : bounce_patterns()) {
    if (status_matches(p.status, status) && contains_ci(reply, p.text)) return &p;
  }
  return nullptr;
}

std::optional<Bounce> read_bounce(std::string_view message) {
  const auto lines = lines_of(message.substr(0, kMaxBounceBytes));
  Bounce b;
  std::string diagnostic = field(lines, "Diagnostic-Code");
  if (auto semicolon = diagnostic.find(';'); semicolon != std::string::npos) {
    diagnostic = std::string(text::trim_wsp(std::string_view(diagnostic).substr(semicolon + 1)));
  }
  b.reply = diagnostic.empty() ? reply_in_text(lines) : diagnostic;
  b.status = field(lines, "Status");
  if (auto space = b.status.find_first_of(" ("); space != std::string::npos) b.status.resize(space);
  std::smatch m;
  if (b.status.empty() && b.reply.size() <= kMaxMatchedLine * kMaxReplyLines &&
      std::regex_search(b.reply, m, reply_regex())) {
    b.status = m[2].str();
  }
  if (b.reply.empty() && b.status.empty()) return std::nullopt;
  b.reply = tidy_reply(b.reply);
  b.remote_mta = address_in(field(lines, "Remote-MTA"));
  b.recipient = address_in(field(lines, "Final-Recipient"));
  if (b.recipient.empty()) b.recipient = address_in(field(lines, "Original-Recipient"));
  b.sender = original_sender(lines);
  if (auto at = b.sender.rfind('@'); at != std::string::npos) b.sender_domain = text::to_lower(b.sender.substr(at + 1));
  b.sending_ip = sending_ip(b.reply);
  b.pattern = match_pattern(b.status, b.reply);
  return b;
}

}  // namespace domainauth::setup
