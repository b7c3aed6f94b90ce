// Domain name syntax (see domain_name.hpp).
#include "dns/domain_name.hpp"

#include "text/ascii.hpp"

namespace domainauth::dns {

bool is_domain_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxDomainLength) return false;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!text::is_alpha(c) && !text::is_digit(c) && c != '-' && c != '_') return false;
    if (++label > kMaxLabelLength) return false;
  }
  return label > 0;
}

}  // namespace domainauth::dns
