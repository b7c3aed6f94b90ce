// Result tokens (RFC 7208 2.6, as RFC 8601 2.7.2 uses them) and the
// Received-SPF header field (RFC 7208 9.1). Every value that came from the
// SMTP dialogue or from DNS (sender, HELO, mechanism text, reasons) is quoted
// by mail/lexical.hpp, so it cannot break out of its field.
#include <string>

#include "mail/lexical.hpp"
#include "spf/spf.hpp"

namespace domainauth::spf {
namespace {

// We write Received-SPF in ASCII only: controls (CR, LF, NUL...) and non-ASCII become '?'.
constexpr auto kUnprintable = mail::Unprintable::question_mark;

// A key-value value (RFC 7208 9.1): dot-atom as is, anything else as a quoted-string.
std::string value(std::string_view s) {
  if (mail::is_dot_atom(s)) return std::string(s);
  return mail::quoted_string(s, kUnprintable);
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
  const std::string why = mail::comment_text(comment(outcome, client), kUnprintable);
  out += " (" + mail::comment_text(receiver, kUnprintable) + ": " + why + ")";
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
