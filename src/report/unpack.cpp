// Bounded gzip and zip readers for received reports (see unpack.hpp). zlib
// inflates both (gzip with its header, zip members as raw deflate); the zip
// structure is read here, as APPNOTE 4.3 lays it out, through the central
// directory (sizes there are right even when a data descriptor follows).
#include "report/unpack.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "text/ascii.hpp"

namespace domainauth::report {
namespace {

constexpr std::size_t kRatioFloor = 4096;  // inputs smaller than this are allowed max_ratio * 4 KiB

std::size_t output_limit(std::size_t packed, const UnpackLimits& limits) {
  return std::min(limits.max_output, std::max(packed, kRatioFloor) * limits.max_ratio);
}

// Inflates in (window_bits: 15 + 16 gzip, -15 raw deflate) into at most limit octets.
std::optional<std::string> inflate_bounded(std::string_view in, int window_bits, std::size_t limit,
                                           std::string& error) {
  z_stream stream{};
  if (inflateInit2(&stream, window_bits) != Z_OK) {
    error = "zlib cannot start";
    return std::nullopt;
  }
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size(), UINT32_MAX));
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    rc = inflate(&stream, Z_NO_FLUSH);
    const std::size_t produced = sizeof buffer - stream.avail_out;
    if (out.size() + produced > limit) {
      inflateEnd(&stream);
      error = "unpacks to more than " + std::to_string(limit) + " octets (a compression bomb?)";
      return std::nullopt;
    }
    out.append(buffer, produced);
    if (rc == Z_BUF_ERROR && stream.avail_in == 0) rc = Z_DATA_ERROR;  // input ended early
  }
  inflateEnd(&stream);
  if (rc != Z_STREAM_END) {
    error = "damaged compressed data" + std::string(stream.msg ? std::string(": ") + stream.msg : "");
    return std::nullopt;
  }
  return out;
}

std::uint32_t le(std::string_view d, std::size_t at, int octets) {
  std::uint32_t v = 0;
  for (int i = octets - 1; i >= 0; --i) v = (v << 8U) | static_cast<unsigned char>(d[at + static_cast<std::size_t>(i)]);
  return v;
}

constexpr std::uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndOfDirectory = 0x06054b50;
constexpr std::size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22;

// The end of central directory record: the last signature within the final 64 KiB + 22 octets.
std::optional<std::size_t> end_of_directory(std::string_view d) {
  if (d.size() < kEndSize) return std::nullopt;
  const std::size_t lowest = d.size() > kEndSize + 65535 ? d.size() - kEndSize - 65535 : 0;
  for (std::size_t at = d.size() - kEndSize + 1; at-- > lowest;) {
    if (le(d, at, 4) == kEndOfDirectory) return at;
  }
  return std::nullopt;
}

// One member's data, unpacked and checked against the directory's size and CRC-32.
// budget: what the members before left of limits.max_output.
std::optional<std::string> member(std::string_view d, std::size_t central, const UnpackLimits& limits,
                                  std::size_t budget, std::string& error) {
  const auto flags = le(d, central + 8, 2), method = le(d, central + 10, 2);
  const auto crc = le(d, central + 16, 4), packed = le(d, central + 20, 4), size = le(d, central + 24, 4);
  const std::size_t local = le(d, central + 42, 4);
  if (flags & 1U) return error = "encrypted zip member", std::nullopt;
  if (local > d.size() - kLocalSize || le(d, local, 4) != kLocalHeader) return error = "bad zip local header", std::nullopt;
  const std::size_t start = local + kLocalSize + le(d, local + 26, 2) + le(d, local + 28, 2);
  if (start > d.size() || packed > d.size() - start) return error = "zip member beyond the end of the file", std::nullopt;
  const auto data = d.substr(start, packed);
  if (size > output_limit(packed, limits) || size > budget) {
    return error = "zip member of " + std::to_string(size) + " octets is too big (a compression bomb?)", std::nullopt;
  }
  std::optional<std::string> out;
  if (method == 0) out = std::string(data);
  else if (method == 8) out = inflate_bounded(data, -15, size, error);
  else return error = "zip method " + std::to_string(method) + " is not stored or deflate", std::nullopt;
  if (!out) return std::nullopt;
  if (out->size() != size || crc32(0, reinterpret_cast<const Bytef*>(out->data()), static_cast<uInt>(out->size())) != crc) {
    return error = "zip member does not match its size or CRC-32", std::nullopt;
  }
  return out;
}

}  // namespace

Packing packing_of(std::string_view data) {
  if (data.size() >= 2 && data[0] == '\x1f' && data[1] == '\x8b') return Packing::gzip;
  if (data.size() >= 4 && data.substr(0, 4) == std::string_view("PK\x03\x04", 4)) return Packing::zip;
  return Packing::none;
}

UnpackResult gunzip(std::string_view data, const UnpackLimits& limits) {
  UnpackResult result;
  if (auto out = inflate_bounded(data, 15 + 16, output_limit(data.size(), limits), result.error)) {
    result.files.push_back({"", std::move(*out)});
  }
  if (!result.error.empty()) result.error = "gzip: " + result.error;
  return result;
}

UnpackResult unzip(std::string_view d, const UnpackLimits& limits) {
  UnpackResult result;
  const auto end = end_of_directory(d);
  if (!end) return {{}, "zip: no end of central directory"};
  const std::size_t entries = le(d, *end + 10, 2), offset = le(d, *end + 16, 4);
  std::size_t at = offset, total = 0;
  for (std::size_t i = 0; i < entries && i < limits.max_members; ++i) {
    if (at > *end || *end - at < kCentralSize || le(d, at, 4) != kCentralHeader) return {{}, "zip: bad central directory"};
    const std::size_t name_size = le(d, at + 28, 2);
    const std::size_t next = at + kCentralSize + name_size + le(d, at + 30, 2) + le(d, at + 32, 2);
    if (next > *end) return {{}, "zip: bad central directory"};
    std::string name(d.substr(at + kCentralSize, name_size));
    if (name.size() >= 4 && text::iequals(std::string_view(name).substr(name.size() - 4), ".xml")) {
      std::string error;
      auto data = member(d, at, limits, limits.max_output - total, error);
      if (!data) return {{}, "zip: " + name + ": " + error};
      total += data->size();
      result.files.push_back({std::move(name), std::move(*data)});
    }
    at = next;
  }
  if (result.files.empty()) result.error = "zip: no .xml member";
  return result;
}

}  // namespace domainauth::report
