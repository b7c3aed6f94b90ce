// The basics of SVG Tiny Portable/Secure, the logo profile BIMI requires
// (draft-svg-tiny-ps-abrotman): an <svg> root with baseProfile="tiny-ps" and
// version="1.2", a <title>, no x= / y= on the root, no scripts, no
// <foreignObject>, <image> or animation, and no reference outside the file.
// Not a full profile validator: what receivers most often refuse a logo for.
// Pure; reads untrusted input: a file fetched over HTTPS (parsed by pugixml,
// which expands no DOCTYPE entities and fetches nothing).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::setup {

// BIMI's recommended bound on the logo file; larger files are refused unread.
inline constexpr std::size_t kMaxBimiSvgOctets = 32 * 1024;
inline constexpr std::size_t kMaxSvgProblems = 10;  // then the check stops listing

// Each problem is one sentence; empty when the basics hold.
[[nodiscard]] std::vector<std::string> check_svg_tiny_ps(std::string_view svg);

}  // namespace domainauth::setup
