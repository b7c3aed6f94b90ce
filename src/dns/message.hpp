// DNS messages on the wire for the stub resolver (RFC 1035 4.1): a query for one
// name and type, and the reply read back into a dns::Answer, following CNAMEs
// (RFC 1034 3.6.2, 4.3.2) and finding the negative-caching TTL (RFC 2308 5).
// Reads untrusted bytes from the network: every offset and length is checked
// against the message, compression pointers may only point backwards (so they
// cannot loop), and a malformed reply is a servfail answer that says why.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"

namespace domainauth::dns {

// RFC 6891 6.2.5 and the DNS Flag Day 2020 advice: 1232 octets fit any path's MTU.
inline constexpr std::uint16_t edns_udp_size = 1232;

struct Question {
  std::vector<std::uint8_t> name;  // wire format, ASCII letters in lower case
  RecordType type = RecordType::a;
};

// The question for a name in presentation format (trailing dot optional; "\."
// and "\DDD" escapes as RFC 1035 5.1). std::nullopt, with error set, for a name
// that cannot be sent: an empty label, a label over 63 octets, a name over 255
// octets, a NUL octet or a bad escape.
[[nodiscard]] std::optional<Question> make_question(std::string_view name, RecordType type, std::string& error);

// A recursive query (RD set) with message ID id, with an EDNS0 OPT record
// advertising edns_udp_size when edns is true.
[[nodiscard]] std::vector<std::uint8_t> encode_query(const Question& question, std::uint16_t id, bool edns);

struct Reply {
  Answer answer;
  std::uint32_t ttl = 0;   // how long answer may be cached: 0 = not at all
  bool truncated = false;  // TC set: ask again over TCP (answer is meaningless)
  bool formerr = false;    // FORMERR: the server may not speak EDNS0 (RFC 6891 7)
  // Not empty: the reply ends in a CNAME whose target the server did not look
  // up (no records of the type, no SOA proving there are none, no NXDOMAIN); ask
  // for this name (wire format) next, and cache the outcome for no longer than ttl.
  std::vector<std::uint8_t> follow;
};

// The reply in message to the query (id, question). std::nullopt when it is no
// reply to that query (not a response, another ID, another question, or no
// question with an RCODE other than FORMERR and NOTIMP): the caller keeps waiting,
// as RFC 5452 9.1 asks. A reply that matches but cannot be used is
// Status::servfail with the reason in detail: unreadable, a CNAME loop, or a
// referral (the server does not recurse).
[[nodiscard]] std::optional<Reply> read_reply(std::span<const std::uint8_t> message, const Question& question,
                                              std::uint16_t id);

// RFC 1035 4.1.1, RFC 6895 2.3: the name of an RCODE a resolver reports without data.
[[nodiscard]] std::string rcode_name(int rcode);

}  // namespace domainauth::dns
