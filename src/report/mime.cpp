// RFC 5322 date and Message-ID, RFC 2045 base64 lines, RFC 2046 boundaries for
// report messages. Reads no untrusted input.
#include "report/mime.hpp"

#include <array>
#include <cstdio>
#include <ctime>
#include <random>

#include "dkim/crypto.hpp"

namespace domainauth::report {
namespace {

// 64 random bits as 16 hex digits.
std::string random_hex() {
  std::random_device device;
  const std::uint64_t value = (std::uint64_t{device()} << 32U) | device();
  std::array<char, 17> text{};
  std::snprintf(text.data(), text.size(), "%016llx", static_cast<unsigned long long>(value));
  return text.data();
}

}  // namespace

std::string date_value(std::int64_t unix_time) {
  // Names written out: strftime's %a/%b follow the locale, RFC 5322 3.3 does not.
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t time = unix_time;
  std::tm tm{};
  gmtime_r(&time, &tm);
  std::array<char, 40> text{};
  std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d +0000",
                kDays.at(static_cast<std::size_t>(tm.tm_wday)), tm.tm_mday,
                kMonths.at(static_cast<std::size_t>(tm.tm_mon)), tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return text.data();
}

std::string message_id(std::string_view host) {
  return "<" + std::to_string(std::time(nullptr)) + "." + random_hex() + "@" + std::string(host) + ">";
}

std::string base64_lines(std::string_view data) {
  const std::string encoded = dkim::base64_encode(data);
  std::string out;
  out.reserve(encoded.size() + (encoded.size() / kMaxBase64Line + 1) * 2);
  for (std::size_t at = 0; at < encoded.size(); at += kMaxBase64Line) {
    out.append(encoded, at, kMaxBase64Line);
    out += "\r\n";
  }
  return out;
}

std::string boundary() { return "=_domainauth_" + random_hex() + random_hex(); }

}  // namespace domainauth::report
