// The RFC 6651 reporting record (see report_record.hpp): section 3.2 tags,
// section 3.3 rr= tokens; values decoded as RFC 6376 2.11 dkim-quoted-printable.
#include "dkim/report_record.hpp"

#include <algorithm>

#include "dkim/signature.hpp"
#include "dkim/tag_list.hpp"
#include "mail/lexical.hpp"
#include "text/ascii.hpp"

namespace domainauth::dkim {
namespace {

constexpr std::size_t kMaxPercentDigits = 3;
constexpr std::size_t kMaxSmtpText = 512;  // RFC 5321 4.5.3.1.5: a reply line is at most 512 octets

constexpr std::uint8_t bit(Failure failure) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(failure)); }

constexpr std::uint8_t kAll = bit(Failure::body_hash) | bit(Failure::signature) | bit(Failure::syntax) |
                              bit(Failure::expired) | bit(Failure::dns) | bit(Failure::revoked) |
                              bit(Failure::other);

// rr= token -> the failures it asks for; p (policy) and u (unsigned) are ADSP's.
std::optional<std::uint8_t> classes_of(std::string_view token) {
  if (text::iequals(token, "all")) return kAll;
  if (token.size() != 1) return std::nullopt;
  switch (text::to_lower(token[0])) {
    case 'd': return bit(Failure::dns);
    case 'o': return static_cast<std::uint8_t>(bit(Failure::revoked) | bit(Failure::other));
    case 's': return bit(Failure::syntax);
    case 'v': return static_cast<std::uint8_t>(bit(Failure::body_hash) | bit(Failure::signature));
    case 'x': return bit(Failure::expired);
    case 'p':
    case 'u': return std::uint8_t{0};
    default: return std::nullopt;
  }
}

std::string read(const TagList& tags, ReportRecord& r) {
  if (!tags.ok()) return tags.error;
  const auto ra = tags.find("ra");
  if (!ra) return "no ra= (reporting address): no reports are requested";
  auto address = decode_quoted_printable(*ra);
  if (!address) return "ra= is not valid dkim-quoted-printable";
  if (const auto at = address->find('@'); at != std::string::npos) address->resize(at);
  if (!mail::is_dot_atom(*address)) return "ra= is not a local-part (dot-atom)";
  r.address = std::move(*address);
  if (const auto rp = tags.find("rp")) {
    const auto percent = parse_decimal(*rp, kMaxPercentDigits);
    if (!percent || *percent > 100) return "rp= is not a percentage (0-100)";
    r.percent = static_cast<unsigned>(*percent);
  }
  r.requested = kAll;
  if (const auto rr = tags.find("rr")) {
    r.requested = 0;
    for (const auto& token : split_list(*rr)) {
      const auto classes = classes_of(token);
      if (!classes) return "rr= has an unknown report type \"" + token + "\"";
      r.requested |= *classes;
    }
  }
  if (const auto rs = tags.find("rs")) {
    auto smtp = decode_quoted_printable(*rs);
    if (!smtp) return "rs= is not valid dkim-quoted-printable";
    if (smtp->size() > kMaxSmtpText || std::any_of(smtp->begin(), smtp->end(), text::is_control))
      return "rs= is not one printable line of at most 512 octets";
    r.smtp_text = std::move(*smtp);
  }
  return {};
}

}  // namespace

std::string_view rr_token(Failure failure) {
  switch (failure) {
    case Failure::none: return "";
    case Failure::body_hash:
    case Failure::signature: return "v";
    case Failure::syntax: return "s";
    case Failure::expired: return "x";
    case Failure::dns: return "d";
    case Failure::revoked:
    case Failure::other: return "o";
  }
  return "";
}

bool ReportRecord::requests(Failure failure) const {
  return failure != Failure::none && (requested & bit(failure)) != 0;
}

ParsedReportRecord parse_report_record(std::string_view text) {
  ParsedReportRecord out;
  out.error = read(parse_tag_list(text), out.record);
  return out;
}

ReportLookup report_record_from_answer(const dns::Answer& answer) {
  return record_from_answer<ReportRecord>(
      answer, {"reporting record", "reporting record lookup", "no reporting record"},
      [](std::string_view text) { return parse_report_record(text); });
}

}  // namespace domainauth::dkim
