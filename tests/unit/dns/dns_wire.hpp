// Test-side DNS messages: queries read back and replies built octet by octet,
// so the tests of dns/message.hpp and of StubResolver state exactly what goes
// over the wire (compression pointers, counts, flags) independently of the code
// under test.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace domainauth::dns::wire {

using Bytes = std::vector<std::uint8_t>;

// "mail.example" -> 4 m a i l 7 e x a m p l e 0 (as written: no lower-casing).
inline Bytes name(std::string_view text) {
  Bytes out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) dot = text.size();
    out.push_back(static_cast<std::uint8_t>(dot - start));
    out.insert(out.end(), text.begin() + static_cast<std::ptrdiff_t>(start), text.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

inline void put16(Bytes& out, unsigned value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

inline void put32(Bytes& out, std::uint32_t value) {
  put16(out, value >> 16);
  put16(out, value & 0xffff);
}

inline void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

// A compression pointer to offset (RFC 1035 4.1.4); 12 is the question's name.
inline Bytes pointer(unsigned offset) { return {static_cast<std::uint8_t>(0xc0 | (offset >> 8)), static_cast<std::uint8_t>(offset)}; }

struct Rr {
  Bytes owner;
  unsigned type;
  std::uint32_t ttl;
  Bytes rdata;
};

inline Bytes txt_rdata(std::string_view text) {
  Bytes out{static_cast<std::uint8_t>(text.size())};
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

struct Header {
  unsigned id = 0x1234;
  unsigned flags = 0x8180;  // QR, RD, RA, NOERROR
};

// A reply: header, the question (qname as given, type, class IN), then answer,
// authority and additional records, each with class IN.
inline Bytes reply(Header header, const Bytes& qname, unsigned qtype, std::initializer_list<Rr> answers,
                   std::initializer_list<Rr> authority = {}, std::initializer_list<Rr> additional = {}) {
  Bytes out;
  put16(out, header.id);
  put16(out, header.flags);
  put16(out, 1);
  put16(out, static_cast<unsigned>(answers.size()));
  put16(out, static_cast<unsigned>(authority.size()));
  put16(out, static_cast<unsigned>(additional.size()));
  append(out, qname);
  put16(out, qtype);
  put16(out, 1);
  for (const auto* section : {&answers, &authority, &additional}) {
    for (const Rr& rr : *section) {
      append(out, rr.owner);
      put16(out, rr.type);
      put16(out, 1);
      put32(out, rr.ttl);
      put16(out, static_cast<unsigned>(rr.rdata.size()));
      append(out, rr.rdata);
    }
  }
  return out;
}

// An SOA rdata with the given MINIMUM (RFC 2308 negative TTL).
inline Bytes soa_rdata(std::uint32_t minimum) {
  Bytes out = name("ns.example");
  append(out, name("hostmaster.example"));
  for (std::uint32_t field : {1u, 7200u, 3600u, 1209600u}) put32(out, field);
  put32(out, minimum);
  return out;
}

}  // namespace domainauth::dns::wire
