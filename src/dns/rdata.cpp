// Decoding of wire-format rdata into dns::Answer fields (see rdata.hpp).
#include "dns/rdata.hpp"

#include <array>
#include <cstdio>

namespace domainauth::dns {

namespace {

// RFC 1035 4.1.4: the two top bits of a length octet mark a compression pointer
// (11) or a reserved label type (01, 10); libunbound hands out names without them.
constexpr std::uint8_t label_type_mask = 0xC0;

void append_label_octet(std::uint8_t octet, std::string& out) {
  if (octet >= 'A' && octet <= 'Z') {
    out += static_cast<char>(octet - 'A' + 'a');
  } else if (octet == '.' || octet == '\\') {
    out += '\\';
    out += static_cast<char>(octet);
  } else if (octet > ' ' && octet < 0x7F) {
    out += static_cast<char>(octet);
  } else {
    std::array<char, 5> escaped{};
    std::snprintf(escaped.data(), escaped.size(), "\\%03u", static_cast<unsigned>(octet));
    out += escaped.data();
  }
}

[[nodiscard]] bool read_address(std::span<const std::uint8_t> rdata, Answer& answer, std::string& error,
                                bool v6) {
  const std::size_t want = v6 ? 16 : 4;
  if (rdata.size() != want) {
    error = std::string(v6 ? "AAAA" : "A") + " rdata of " + std::to_string(rdata.size()) + " octets, want " +
            std::to_string(want);
    return false;
  }
  if (v6) {
    std::array<std::uint8_t, 16> bytes{};
    std::copy(rdata.begin(), rdata.end(), bytes.begin());
    answer.addresses.push_back(net::IpAddress::v6(bytes));
  } else {
    std::array<std::uint8_t, 4> bytes{};
    std::copy(rdata.begin(), rdata.end(), bytes.begin());
    answer.addresses.push_back(net::IpAddress::v4(bytes));
  }
  return true;
}

// RFC 1035 3.3.14: one or more <character-string>s, each a length octet and
// that many octets; the record's text is their concatenation (RFC 7208 3.3).
[[nodiscard]] bool read_txt(std::span<const std::uint8_t> rdata, Answer& answer, std::string& error) {
  std::string text;
  std::size_t pos = 0;
  while (pos < rdata.size()) {
    const std::size_t length = rdata[pos++];
    if (length > rdata.size() - pos) {
      error = "TXT character-string of " + std::to_string(length) + " octets overruns rdata";
      return false;
    }
    text.append(reinterpret_cast<const char*>(rdata.data() + pos), length);
    pos += length;
  }
  answer.txt.push_back(std::move(text));
  return true;
}

// A name that must fill the rdata from pos to the end.
[[nodiscard]] bool read_final_name(std::span<const std::uint8_t> rdata, std::size_t pos, std::string& out,
                                   std::string& error, const char* type) {
  if (!read_name(rdata, pos, out, error)) {
    error = std::string(type) + ": " + error;
    return false;
  }
  if (pos != rdata.size()) {
    error = std::string(type) + ": " + std::to_string(rdata.size() - pos) + " octets after the name";
    return false;
  }
  return true;
}

// RFC 1035 3.3.9: PREFERENCE (16 bits) then EXCHANGE.
[[nodiscard]] bool read_mx(std::span<const std::uint8_t> rdata, Answer& answer, std::string& error) {
  if (rdata.size() < 3) {
    error = "MX rdata of " + std::to_string(rdata.size()) + " octets is too short";
    return false;
  }
  MxRecord mx;
  mx.preference = static_cast<std::uint16_t>(rdata[0] << 8 | rdata[1]);
  if (!read_final_name(rdata, 2, mx.exchange, error, "MX")) return false;
  answer.mx.push_back(std::move(mx));
  return true;
}

[[nodiscard]] bool read_ptr(std::span<const std::uint8_t> rdata, Answer& answer, std::string& error) {
  std::string name;
  if (!read_final_name(rdata, 0, name, error, "PTR")) return false;
  answer.names.push_back(std::move(name));
  return true;
}

// RFC 6698 2.1: usage, selector and matching type (one octet each), then the
// certificate association data, which must not be empty.
[[nodiscard]] bool read_tlsa(std::span<const std::uint8_t> rdata, Answer& answer, std::string& error) {
  if (rdata.size() < 4) {
    error = "TLSA rdata of " + std::to_string(rdata.size()) + " octets is too short";
    return false;
  }
  TlsaRecord tlsa;
  tlsa.usage = rdata[0];
  tlsa.selector = rdata[1];
  tlsa.matching = rdata[2];
  tlsa.data.assign(rdata.begin() + 3, rdata.end());
  answer.tlsa.push_back(std::move(tlsa));
  return true;
}

}  // namespace

bool read_name(std::span<const std::uint8_t> rdata, std::size_t& pos, std::string& out, std::string& error) {
  std::string text;
  std::size_t cursor = pos;
  std::size_t octets = 0;
  while (true) {
    if (cursor >= rdata.size()) {
      error = "name truncated";
      return false;
    }
    const std::uint8_t length = rdata[cursor++];
    if ((length & label_type_mask) != 0) {
      error = "label type " + std::to_string(length >> 6) + " (compression or extended) in a name";
      return false;
    }
    octets += 1 + length;
    if (octets > max_name_octets) {
      error = "name longer than " + std::to_string(max_name_octets) + " octets";
      return false;
    }
    if (length == 0) break;
    if (length > rdata.size() - cursor) {
      error = "label of " + std::to_string(length) + " octets overruns rdata";
      return false;
    }
    if (!text.empty()) text += '.';
    for (std::size_t i = 0; i < length; ++i) append_label_octet(rdata[cursor + i], text);
    cursor += length;
  }
  pos = cursor;
  out = std::move(text);
  return true;
}

bool append_rdata(RecordType type, std::span<const std::uint8_t> rdata, Answer& answer, std::string& error) {
  switch (type) {
    case RecordType::a: return read_address(rdata, answer, error, false);
    case RecordType::aaaa: return read_address(rdata, answer, error, true);
    case RecordType::txt: return read_txt(rdata, answer, error);
    case RecordType::mx: return read_mx(rdata, answer, error);
    case RecordType::ptr: return read_ptr(rdata, answer, error);
    case RecordType::tlsa: return read_tlsa(rdata, answer, error);
  }
  error = "unsupported record type " + std::to_string(static_cast<unsigned>(type));
  return false;
}

}  // namespace domainauth::dns
