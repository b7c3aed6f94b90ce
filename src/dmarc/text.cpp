// Text helpers of the DMARC module (see text.hpp).
#include "dmarc/text.hpp"

namespace domainauth::dmarc {

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> out;
  for (;;) {
    auto pos = s.find(separator);
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    s.remove_prefix(pos + 1);
  }
}

std::string normalize_domain(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return to_lower(name);
}

std::size_t label_count(std::string_view name) {
  if (name.empty()) return 0;
  std::size_t n = 1;
  for (char c : name) n += c == '.' ? 1 : 0;
  return n;
}

std::string_view parent_domain(std::string_view name) {
  auto dot = name.find('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

}  // namespace domainauth::dmarc
