// Test helper: a zip file (APPNOTE 4.3) of named members, stored or deflated
// with zlib, as reporters' zip attachments are made; sizes can be falsified to
// test the reader's checks.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::testing {

struct ZipMember {
  std::string name;
  std::string data;
  bool deflate = true;
  std::int64_t claimed_size = -1;  // the uncompressed size written; -1: the true one
};

inline std::string raw_deflate(std::string_view data) {
  z_stream s{};
  deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&s, static_cast<uLong>(data.size())) + 16, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

inline void put(std::string& out, std::uint32_t v, int octets) {
  for (int i = 0; i < octets; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFFU);
}

inline std::string zip(const std::vector<ZipMember>& members) {
  std::string out, directory;
  for (const auto& m : members) {
    const auto packed = m.deflate ? raw_deflate(m.data) : m.data;
    const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(m.data.data()),
                                                      static_cast<uInt>(m.data.size())));
    const auto size = static_cast<std::uint32_t>(m.claimed_size < 0 ? m.data.size() : m.claimed_size);
    const auto offset = static_cast<std::uint32_t>(out.size());
    const std::uint32_t method = m.deflate ? 8 : 0;
    put(out, 0x04034b50, 4), put(out, 20, 2), put(out, 0, 2), put(out, method, 2), put(out, 0, 4);
    put(out, crc, 4), put(out, static_cast<std::uint32_t>(packed.size()), 4), put(out, size, 4);
    put(out, static_cast<std::uint32_t>(m.name.size()), 2), put(out, 0, 2);
    out += m.name + packed;
    put(directory, 0x02014b50, 4), put(directory, 20, 2), put(directory, 20, 2), put(directory, 0, 2);
    put(directory, method, 2), put(directory, 0, 4), put(directory, crc, 4);
    put(directory, static_cast<std::uint32_t>(packed.size()), 4), put(directory, size, 4);
    put(directory, static_cast<std::uint32_t>(m.name.size()), 2), put(directory, 0, 2), put(directory, 0, 2);
    put(directory, 0, 2), put(directory, 0, 2), put(directory, 0, 4), put(directory, offset, 4);
    directory += m.name;
  }
  const auto at = static_cast<std::uint32_t>(out.size());
  out += directory;
  put(out, 0x06054b50, 4), put(out, 0, 2), put(out, 0, 2);
  put(out, static_cast<std::uint32_t>(members.size()), 2), put(out, static_cast<std::uint32_t>(members.size()), 2);
  put(out, static_cast<std::uint32_t>(directory.size()), 4), put(out, at, 4), put(out, 0, 2);
  return out;
}

}  // namespace domainauth::testing
