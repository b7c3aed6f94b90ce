// RFC 5322 3.3 / 4.3 date-time reader (date.hpp).
#include "mail/date.hpp"

#include <array>
#include <charconv>
#include <utility>
#include <string>
#include <vector>

#include "text/ascii.hpp"

namespace domainauth::mail {
namespace {

// The words of the value: comments dropped, split at white space and commas.
std::vector<std::string> words(std::string_view value) {
  std::vector<std::string> out;
  std::string word;
  int comment = 0;
  for (const char c : value) {
    if (c == '(') ++comment;
    else if (c == ')' && comment > 0) --comment;
    if (comment > 0 || c == ')' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
      if (out.size() > 8) return out;  // more than a date has: refused below
      continue;
    }
    word += c;
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

std::optional<int> number(std::string_view s, std::size_t min_digits, std::size_t max_digits) {
  int n = 0;
  if (s.size() < min_digits || s.size() > max_digits) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

std::optional<int> month(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                            "jul", "aug", "sep", "oct", "nov", "dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (text::iequals(s, kMonths[i])) return static_cast<int>(i) + 1;
  }
  return std::nullopt;
}

// Zone offset in seconds east of UTC: "+hhmm" / "-hhmm" or an RFC 5322 4.3 obs-zone.
std::optional<int> zone(std::string_view s) {
  if ((s.starts_with('+') || s.starts_with('-')) && s.size() == 5) {
    const auto hhmm = number(s.substr(1), 4, 4);
    if (!hhmm || *hhmm % 100 > 59) return std::nullopt;
    const int seconds = (*hhmm / 100 * 60 + *hhmm % 100) * 60;
    return s[0] == '-' ? -seconds : seconds;
  }
  static constexpr std::array<std::pair<std::string_view, int>, 12> kNamed{
      {{"UT", 0}, {"GMT", 0}, {"UTC", 0}, {"Z", 0}, {"EST", -5}, {"EDT", -4},
       {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}}};
  for (const auto& [name, hours] : kNamed) {
    if (text::iequals(s, name)) return hours * 3600;
  }
  return std::nullopt;  // military zones: RFC 5322 4.3 says to read them as -0000; refused instead
}

// Days from 1970-01-01 to the civil date (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

std::optional<std::int64_t> to_unix(int year, int mon, int day, int hour, int minute, int second) {
  static constexpr std::array<int, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || year > 9999 || mon < 1 || mon > 12 || day < 1 ||
      day > kDays.at(static_cast<std::size_t>(mon - 1)) || (mon == 2 && day == 29 && !leap(year)) || hour > 23 ||
      minute > 59 || second > 60 || hour < 0 || minute < 0 || second < 0) {
    return std::nullopt;
  }
  return days_from_civil(year, mon, day) * 86400 + hour * 3600 + minute * 60 + second;
}

std::optional<std::int64_t> parse_date(std::string_view value) {
  auto w = words(value);
  if (!w.empty() && !w[0].empty() && text::is_alpha(w[0][0]) && !month(w[0])) w.erase(w.begin());  // day of week
  if (w.size() != 5) return std::nullopt;
  const auto day = number(w[0], 1, 2);
  const auto mon = month(w[1]);
  auto year = number(w[2], 2, 4);
  const auto offset = zone(w[4]);
  if (!day || !mon || !year || !offset) return std::nullopt;
  // RFC 5322 4.3: two digits are 1950-2049, three digits add 1900.
  if (w[2].size() == 2) *year += *year < 50 ? 2000 : 1900;
  else if (w[2].size() == 3) *year += 1900;
  // time-of-day: hh:mm[:ss]
  const std::string_view time = w[3];
  const auto hour = number(time.substr(0, time.find(':')), 2, 2);
  std::optional<int> minute, second = 0;
  if (time.size() == 5 && time[2] == ':') minute = number(time.substr(3), 2, 2);
  else if (time.size() == 8 && time[2] == ':' && time[5] == ':') {
    minute = number(time.substr(3, 2), 2, 2);
    second = number(time.substr(6), 2, 2);
  }
  if (!hour || !minute || !second) return std::nullopt;
  const auto time_utc = to_unix(*year, *mon, *day, *hour, *minute, *second);
  if (!time_utc) return std::nullopt;
  return *time_utc - *offset;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view v) {
  // full-date "T" partial-time time-offset: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (v.size() < 20 || v[4] != '-' || v[7] != '-' || (v[10] != 'T' && v[10] != 't' && v[10] != ' ') || v[13] != ':' ||
      v[16] != ':') {
    return std::nullopt;
  }
  const auto year = number(v.substr(0, 4), 4, 4), mon = number(v.substr(5, 2), 2, 2), day = number(v.substr(8, 2), 2, 2);
  const auto hour = number(v.substr(11, 2), 2, 2), minute = number(v.substr(14, 2), 2, 2);
  const auto second = number(v.substr(17, 2), 2, 2);
  std::size_t at = 19;
  if (at < v.size() && v[at] == '.') {
    do ++at;
    while (at < v.size() && text::is_digit(v[at]));
    if (at == 20) return std::nullopt;  // a dot without digits
  }
  std::optional<int> offset;
  const auto zone_text = v.substr(at);
  if (zone_text == "Z" || zone_text == "z") offset = 0;
  else if (zone_text.size() == 6 && (zone_text[0] == '+' || zone_text[0] == '-') && zone_text[3] == ':') {
    const auto hh = number(zone_text.substr(1, 2), 2, 2), mm = number(zone_text.substr(4, 2), 2, 2);
    if (hh && mm && *hh < 24 && *mm < 60) offset = (zone_text[0] == '-' ? -1 : 1) * (*hh * 3600 + *mm * 60);
  }
  if (!year || !mon || !day || !hour || !minute || !second || !offset) return std::nullopt;
  const auto time_utc = to_unix(*year, *mon, *day, *hour, *minute, *second);
  if (!time_utc) return std::nullopt;
  return *time_utc - *offset;
}

}  // namespace domainauth::mail
