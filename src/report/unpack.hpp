// Unpacking received report files: gzip (RFC 1952) and zip (PKWARE APPNOTE
// 6.3: stored and deflated members, found through the central directory),
// bounded against bombs: the output never grows past a size limit nor past a
// ratio of its input. Written here on zlib (already a dependency) rather than
// with Debian's libzip or minizip: reports need two methods and one pass,
// and a reader this small keeps the bounds in view. Reads untrusted input:
// attachments and files from anyone who mails a report.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::report {

struct UnpackLimits {
  std::size_t max_output = 64 * 1024 * 1024;  // octets of one unpacked file
  std::size_t max_ratio = 200;                // unpacked / packed; real reports stay well under 100
  std::size_t max_members = 16;               // zip members looked at
};

struct Unpacked {
  std::string name;  // the zip member's name; empty for gzip
  std::string data;
};

struct UnpackResult {
  std::vector<Unpacked> files;
  std::string error;  // set: nothing was unpacked
};

enum class Packing : std::uint8_t { none, gzip, zip };
// By the first octets (gzip 1F 8B, zip "PK\3\4"), whatever the file is called.
[[nodiscard]] Packing packing_of(std::string_view data);

[[nodiscard]] UnpackResult gunzip(std::string_view data, const UnpackLimits& limits = {});
// Every stored or deflated member whose name ends in ".xml" (any case); an
// error when there is none, or a member is encrypted, damaged or too big.
[[nodiscard]] UnpackResult unzip(std::string_view data, const UnpackLimits& limits = {});

}  // namespace domainauth::report
