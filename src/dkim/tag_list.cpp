// DKIM tag-list parsing (see tag_list.hpp). RFC 6376 3.2.
#include "dkim/tag_list.hpp"

#include <charconv>

#include "text/ascii.hpp"

namespace domainauth::dkim {
namespace {

using text::is_alpha;
using text::is_fws;
using text::trim_fws;

bool is_alnumpunc(char c) { return text::is_alnum(c) || c == '_'; }
// VALCHAR = %x21-3A / %x3C-7E
bool is_valchar(char c) { return c >= 0x21 && c <= 0x7e && c != ';'; }

}  // namespace

std::optional<std::string_view> TagList::find(std::string_view name) const {
  for (const Tag& t : tags) {
    if (t.name == name) return std::string_view(t.value);
  }
  return std::nullopt;
}

TagList parse_tag_list(std::string_view text) {
  TagList out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto semi = text.find(';', pos);
    std::string_view spec = text.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
    pos = semi == std::string_view::npos ? text.size() + 1 : semi + 1;
    if (trim_fws(spec).empty()) {
      if (pos > text.size()) break;  // the optional final ";"
      out.error = "empty tag-spec";
      return out;
    }
    auto eq = spec.find('=');
    if (eq == std::string_view::npos) {
      out.error = "tag \"" + std::string(trim_fws(spec).substr(0, 20)) + "\" has no \"=\"";
      return out;
    }
    std::string_view name = trim_fws(spec.substr(0, eq));
    std::string_view value = trim_fws(spec.substr(eq + 1));
    if (name.empty() || !is_alpha(name.front())) {
      out.error = "bad tag name \"" + std::string(name.substr(0, 20)) + "\"";
      return out;
    }
    for (char c : name) {
      if (!is_alnumpunc(c)) {
        out.error = "bad tag name \"" + std::string(name.substr(0, 20)) + "\"";
        return out;
      }
    }
    for (char c : value) {
      if (!is_valchar(c) && !is_fws(c)) {
        out.error = "bad character in the value of tag " + std::string(name);
        return out;
      }
    }
    if (out.find(name)) {
      out.error = "tag " + std::string(name) + " appears twice";
      return out;
    }
    if (out.tags.size() >= kMaxTags) {
      out.error = "more than " + std::to_string(kMaxTags) + " tags";
      return out;
    }
    out.tags.push_back({std::string(name), std::string(value)});
  }
  return out;
}

std::string strip_fws(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (!is_fws(c)) out.push_back(c);
  }
  return out;
}

std::vector<std::string> split_list(std::string_view value, char separator) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    auto next = value.find(separator, pos);
    out.emplace_back(trim_fws(value.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos)));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace domainauth::dkim
