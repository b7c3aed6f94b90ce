// Result tokens (RFC 7208 2.6, as RFC 8601 2.7.2 uses them) and the
// Received-SPF header field (RFC 7208 9.1). Every value that came from the
// SMTP dialogue or from DNS (sender, HELO, mechanism text, reasons) goes
// through one quoting function, so it cannot break out of its field.
#include <string>

#include "spf/spf.hpp"

namespace domainauth::spf {
namespace {

// RFC 5322 3.2.3 atext.
bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// RFC 5322 dot-atom-text: atext runs separated by single dots.
bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!is_atext(s[i])) {
      return false;
    }
  }
  return true;
}

// Printable ASCII stays; controls (CR, LF, NUL...) and non-ASCII become '?'.
char printable(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 0x20 && u < 0x7f) ? c : '?';
}

// A key-value value: dot-atom as is, anything else as a quoted-string.
std::string value(std::string_view s) {
  if (is_dot_atom(s)) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += printable(c);
  }
  return out + "\"";
}

// Text inside a comment: parentheses and backslashes escaped (quoted-pair).
std::string comment_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += printable(c);
  }
  return out;
}

std::string comment(const Outcome& outcome, const std::string& ip) {
  const std::string& who = outcome.sender;
  switch (outcome.result) {
    case Result::pass: return "domain of " + who + " designates " + ip + " as permitted sender";
    case Result::fail: return "domain of " + who + " does not designate " + ip + " as permitted sender";
    case Result::softfail:
      return "domain of transitioning " + who + " does not designate " + ip + " as permitted sender";
    case Result::neutral: return ip + " is neither permitted nor denied by domain of " + who;
    case Result::none: return "domain of " + who + " does not designate permitted sender hosts";
    case Result::temperror: return "temporary error checking domain of " + who + ": " + outcome.reason;
    case Result::permerror: return "permanent error in the SPF record for " + who + ": " + outcome.reason;
  }
  return {};
}

}  // namespace

std::string_view to_string(Result result) {
  switch (result) {
    case Result::none: return "none";
    case Result::neutral: return "neutral";
    case Result::pass: return "pass";
    case Result::fail: return "fail";
    case Result::softfail: return "softfail";
    case Result::temperror: return "temperror";
    case Result::permerror: return "permerror";
  }
  return "permerror";
}

std::string_view to_string(Identity identity) {
  return identity == Identity::helo ? "helo" : "mailfrom";
}

std::string received_spf(const Outcome& outcome, const net::IpAddress& ip, std::string_view helo,
                         std::string_view receiver) {
  std::string client = ip.unmapped().to_string();
  std::string out(to_string(outcome.result));
  out += " (" + comment_text(receiver) + ": " + comment_text(comment(outcome, client)) + ")";
  out += " client-ip=" + value(client);
  out += "; envelope-from=" + value(outcome.sender);
  out += "; helo=" + value(helo);
  out += "; receiver=" + value(receiver);
  out += "; identity=" + std::string(to_string(outcome.identity));
  if (!outcome.mechanism.empty() && outcome.mechanism != "default") out += "; mechanism=" + value(outcome.mechanism);
  if (outcome.result == Result::permerror || outcome.result == Result::temperror)
    out += "; problem=" + value(outcome.reason);
  return out;
}

}  // namespace domainauth::spf
