// DNS query encoding and reply decoding for the stub resolver (see message.hpp).
#include "dns/message.hpp"

#include <algorithm>

#include "dns/rdata.hpp"

namespace domainauth::dns {

namespace {

constexpr std::size_t header_octets = 12;
constexpr std::size_t max_label_octets = 63;
constexpr std::uint16_t class_in = 1;
constexpr std::uint16_t type_ns = 2;
constexpr std::uint16_t type_cname = 5;
constexpr std::uint16_t type_soa = 6;
constexpr std::uint16_t type_opt = 41;
constexpr int rcode_nxdomain = 3;
constexpr int rcode_formerr = 1;
constexpr int rcode_notimp = 4;
constexpr std::size_t max_cname_hops = 16;         // longer chains are treated as a loop
constexpr std::uint32_t max_positive_ttl = 86400;  // as unbound's cache-max-ttl
constexpr std::uint32_t max_negative_ttl = 3600;   // as unbound's cache-max-negative-ttl

std::uint8_t lower(std::uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c; }

void put16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

// Reads bounded big-endian integers and names from one message.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> message) : msg_(message) {}

  [[nodiscard]] bool u16(std::size_t& pos, std::uint16_t& value) const {
    if (pos + 2 > msg_.size()) return false;
    value = static_cast<std::uint16_t>((msg_[pos] << 8) | msg_[pos + 1]);
    pos += 2;
    return true;
  }

  [[nodiscard]] bool u32(std::size_t& pos, std::uint32_t& value) const {
    std::uint16_t high = 0;
    std::uint16_t low = 0;
    if (!u16(pos, high) || !u16(pos, low)) return false;
    value = (std::uint32_t{high} << 16) | low;
    return true;
  }

  // The (possibly compressed) name at pos, uncompressed into out in wire format
  // with letters in lower case; pos moves past the name as it is in the message.
  // Every pointer must point before the one that was followed (RFC 1035 4.1.4
  // pointers refer to earlier names), so reading always ends; and a name has at
  // most 127 labels, so more pointers than that are refused (a long chain of
  // pointers, read for every record, would cost quadratic time).
  [[nodiscard]] bool name(std::size_t& pos, std::vector<std::uint8_t>& out, std::string& error) const {
    out.clear();
    std::size_t at = pos;
    std::size_t limit = pos;  // a pointer must point below this
    bool jumped = false;
    for (std::size_t hops = 0;;) {
      if (at >= msg_.size()) return fail(error, "name runs past the end of the message");
      const std::uint8_t length = msg_[at];
      if ((length & 0xc0) == 0xc0) {
        if (at + 1 >= msg_.size()) return fail(error, "compression pointer runs past the end");
        const std::size_t target = (std::size_t{length & 0x3fu} << 8) | msg_[at + 1];
        if (!jumped) pos = at + 2;
        if (target >= std::min(at, limit)) return fail(error, "compression pointer does not point backwards");
        if (++hops > max_name_octets / 2) return fail(error, "more compression pointers than a name has labels");
        jumped = true;
        limit = target;
        at = target;
        continue;
      }
      if ((length & 0xc0) != 0) return fail(error, "unknown label type");
      if (at + 1 + length > msg_.size()) return fail(error, "label runs past the end of the message");
      if (out.size() + 1 + length > max_name_octets) return fail(error, "name longer than 255 octets");
      out.push_back(length);
      for (std::size_t i = 0; i < length; ++i) out.push_back(lower(msg_[at + 1 + i]));
      at += 1 + length;
      if (length == 0) break;
    }
    if (!jumped) pos = at;
    return true;
  }

  [[nodiscard]] std::span<const std::uint8_t> bytes(std::size_t pos, std::size_t count) const {
    return msg_.subspan(pos, count);
  }
  [[nodiscard]] std::size_t size() const { return msg_.size(); }

  static bool fail(std::string& error, const char* why) {
    error = why;
    return false;
  }

 private:
  std::span<const std::uint8_t> msg_;
};

struct Record {
  std::vector<std::uint8_t> owner;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;
  std::size_t rdata = 0;  // offset in the message
  std::uint16_t rdlength = 0;
};

[[nodiscard]] bool read_record(const Reader& in, std::size_t& pos, Record& record, std::string& error) {
  if (!in.name(pos, record.owner, error)) return false;
  if (!in.u16(pos, record.type) || !in.u16(pos, record.klass) || !in.u32(pos, record.ttl) ||
      !in.u16(pos, record.rdlength)) {
    return Reader::fail(error, "record header runs past the end of the message");
  }
  if (pos + record.rdlength > in.size()) return Reader::fail(error, "rdata runs past the end of the message");
  record.rdata = pos;
  pos += record.rdlength;
  // RFC 2181 8: a TTL with the top bit set is taken as zero (OPT's "TTL" is flags).
  if (record.type != type_opt && (record.ttl & 0x80000000u) != 0) record.ttl = 0;
  return true;
}

// A name inside rdata (CNAME, MX, PTR, SOA), uncompressed; it must end inside the rdata.
[[nodiscard]] bool rdata_name(const Reader& in, const Record& record, std::size_t& pos, std::vector<std::uint8_t>& out,
                              std::string& error) {
  if (!in.name(pos, out, error)) return false;
  if (pos > record.rdata + record.rdlength) return Reader::fail(error, "name runs past the end of its rdata");
  return true;
}

// The record's rdata as rdata.hpp reads it: names uncompressed.
[[nodiscard]] bool plain_rdata(const Reader& in, const Record& record, std::vector<std::uint8_t>& out,
                               std::string& error) {
  const std::size_t end = record.rdata + record.rdlength;
  std::size_t pos = record.rdata;
  out.clear();
  if (record.type == static_cast<std::uint16_t>(RecordType::mx)) {
    if (record.rdlength < 2) return Reader::fail(error, "MX rdata shorter than its preference");
    out.assign(in.bytes(pos, 2).begin(), in.bytes(pos, 2).end());
    pos += 2;
  }
  if (record.type == static_cast<std::uint16_t>(RecordType::mx) ||
      record.type == static_cast<std::uint16_t>(RecordType::ptr)) {
    std::vector<std::uint8_t> name;
    if (!rdata_name(in, record, pos, name, error)) return false;
    if (pos != end) return Reader::fail(error, "octets after the name in the rdata");
    out.insert(out.end(), name.begin(), name.end());
    return true;
  }
  const auto raw = in.bytes(pos, record.rdlength);
  out.assign(raw.begin(), raw.end());
  return true;
}

// RFC 2308 5: a negative answer may be cached for the smaller of the SOA record's
// TTL and its MINIMUM field. std::nullopt: no (readable) SOA in the authority section.
[[nodiscard]] std::optional<std::uint32_t> negative_ttl(const Reader& in, const std::vector<Record>& authority) {
  for (const Record& record : authority) {
    if (record.type != type_soa || record.klass != class_in) continue;
    std::size_t pos = record.rdata;
    std::vector<std::uint8_t> name;
    std::string error;
    std::uint32_t fields[5] = {};
    if (!rdata_name(in, record, pos, name, error) || !rdata_name(in, record, pos, name, error)) return std::nullopt;
    for (std::uint32_t& field : fields) {
      if (pos + 4 > record.rdata + record.rdlength || !in.u32(pos, field)) return std::nullopt;
    }
    return std::min({record.ttl, fields[4], max_negative_ttl});
  }
  return std::nullopt;
}

Reply failure(std::string detail) {
  Reply reply;
  reply.answer = servfail(std::move(detail));
  return reply;
}

// The outcome of a NOERROR or NXDOMAIN reply: the records of the asked type at
// the end of the CNAME chain from qname, or the negative answer, or the next name
// to ask for.
Reply collect(const Reader& in, const Question& question, const std::vector<Record>& answers,
              const std::vector<Record>& authority, bool nxdomain, bool recursive) {
  Reply reply;
  std::vector<std::uint8_t> owner = question.name;
  std::uint32_t ttl = max_positive_ttl;
  std::vector<std::uint8_t> target;
  std::string error;
  for (std::size_t hops = 0;; ++hops) {
    const auto cname = std::find_if(answers.begin(), answers.end(), [&](const Record& r) {
      return r.type == type_cname && r.klass == class_in && r.owner == owner;
    });
    if (cname == answers.end()) break;
    if (hops == max_cname_hops) return failure("CNAME chain longer than " + std::to_string(max_cname_hops));
    std::size_t pos = cname->rdata;
    if (!rdata_name(in, *cname, pos, target, error)) return failure("malformed CNAME rdata: " + error);
    ttl = std::min(ttl, cname->ttl);
    owner = target;
  }
  const std::optional<std::uint32_t> negative = negative_ttl(in, authority);
  if (nxdomain) {
    reply.answer.status = Status::nxdomain;  // RFC 2308 2.1 (of the chain's last name)
    reply.ttl = std::min(ttl, negative.value_or(0));
    return reply;
  }
  std::vector<std::uint8_t> rdata;
  for (const Record& record : answers) {
    if (record.type != static_cast<std::uint16_t>(question.type) || record.klass != class_in || record.owner != owner) {
      continue;
    }
    if (!plain_rdata(in, record, rdata, error) || !append_rdata(question.type, rdata, reply.answer, error)) {
      return failure("malformed " + std::string(to_string(question.type)) + " rdata: " + error);
    }
    ttl = std::min(ttl, record.ttl);
  }
  if (reply.answer.record_count() > 0) {
    reply.answer.status = Status::answer;
    reply.ttl = ttl;
    return reply;
  }
  reply.answer.status = Status::nodata;
  if (negative) {
    reply.ttl = std::min(ttl, *negative);  // RFC 2308 2.2: NODATA, proven by the SOA
  } else if (owner != question.name) {
    reply.follow = std::move(owner);  // the server did not look up the CNAME's target
    reply.ttl = ttl;
  } else if (std::any_of(authority.begin(), authority.end(), [](const Record& r) { return r.type == type_ns; })) {
    // RFC 1034 4.3.1: a server that does not recurse refers to others instead.
    return failure("referral instead of an answer: the DNS server does not resolve recursively");
  } else if (!recursive) {
    // Neither RA nor AA: an empty reply from a server that did not look.
    return failure("empty reply without recursion: the DNS server does not resolve recursively");
  }
  return reply;
}

}  // namespace

std::string rcode_name(int rcode) {
  switch (rcode) {
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    default: return "RCODE " + std::to_string(rcode);
  }
}

std::optional<Question> make_question(std::string_view name, RecordType type, std::string& error) {
  if (!name.empty() && name.back() == '.' && (name.size() < 2 || name[name.size() - 2] != '\\')) {
    name.remove_suffix(1);
  }
  Question question;
  question.type = type;
  std::vector<std::uint8_t>& wire = question.name;
  std::size_t label_start = 0;
  wire.push_back(0);
  auto close_label = [&]() {
    const std::size_t length = wire.size() - label_start - 1;
    if (length == 0) return Reader::fail(error, "empty label in the name");
    if (length > max_label_octets) return Reader::fail(error, "label longer than 63 octets");
    wire[label_start] = static_cast<std::uint8_t>(length);
    return true;
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<std::uint8_t>(name[i]);
    if (c == 0) return Reader::fail(error, "name contains a NUL octet"), std::nullopt;
    if (c == '.') {
      if (!close_label()) return std::nullopt;
      label_start = wire.size();
      wire.push_back(0);
      continue;
    }
    if (c == '\\') {
      if (++i == name.size()) return Reader::fail(error, "name ends in a lone backslash"), std::nullopt;
      if (name[i] >= '0' && name[i] <= '9') {
        if (i + 2 >= name.size() || name[i + 1] < '0' || name[i + 1] > '9' || name[i + 2] < '0' || name[i + 2] > '9') {
          return Reader::fail(error, "\\DDD escape needs three digits"), std::nullopt;
        }
        const int value = (name[i] - '0') * 100 + (name[i + 1] - '0') * 10 + (name[i + 2] - '0');
        if (value > 255) return Reader::fail(error, "\\DDD escape above 255"), std::nullopt;
        c = static_cast<std::uint8_t>(value);
        i += 2;
      } else {
        c = static_cast<std::uint8_t>(name[i]);
      }
    }
    wire.push_back(lower(c));
  }
  if (name.empty()) {
    wire.clear();  // the root
  } else if (!close_label()) {
    return std::nullopt;
  }
  wire.push_back(0);
  if (wire.size() > max_name_octets) return Reader::fail(error, "name longer than 255 octets"), std::nullopt;
  return question;
}

std::vector<std::uint8_t> encode_query(const Question& question, std::uint16_t id, bool edns) {
  std::vector<std::uint8_t> out;
  out.reserve(header_octets + question.name.size() + 4 + 11);
  put16(out, id);
  put16(out, 0x0100);  // QR=0, OPCODE=QUERY, RD=1
  put16(out, 1);       // QDCOUNT
  put16(out, 0);       // ANCOUNT
  put16(out, 0);       // NSCOUNT
  put16(out, edns ? 1 : 0);
  out.insert(out.end(), question.name.begin(), question.name.end());
  put16(out, static_cast<std::uint16_t>(question.type));
  put16(out, class_in);
  if (edns) {
    out.push_back(0);  // RFC 6891 6.1.2: root owner, TYPE OPT, CLASS = UDP payload size
    put16(out, type_opt);
    put16(out, edns_udp_size);
    put16(out, 0);  // extended RCODE, version 0
    put16(out, 0);  // flags (DO clear: no validation here)
    put16(out, 0);  // RDLEN
  }
  return out;
}

std::optional<Reply> read_reply(std::span<const std::uint8_t> message, const Question& question, std::uint16_t id) {
  const Reader in(message);
  std::size_t pos = 0;
  std::uint16_t got_id = 0;
  std::uint16_t flags = 0;
  std::uint16_t counts[4] = {};
  if (!in.u16(pos, got_id) || !in.u16(pos, flags)) return std::nullopt;
  for (std::uint16_t& count : counts) {
    if (!in.u16(pos, count)) return std::nullopt;
  }
  const bool response = (flags & 0x8000) != 0;
  const int opcode = (flags >> 11) & 0xf;
  const int rcode = flags & 0xf;
  if (got_id != id || !response || opcode != 0) return std::nullopt;
  // RFC 1035 7.3: the question must be ours. A server that could not parse the
  // query (FORMERR, NOTIMP) may send none back; any other reply without it could
  // be a blind spoof matching only the ID.
  if (counts[0] == 0 && (rcode == rcode_formerr || rcode == rcode_notimp)) {
    Reply reply = failure(rcode_name(rcode));
    reply.formerr = rcode == rcode_formerr;
    return reply;
  }
  std::vector<std::uint8_t> qname;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::string error;
  if (counts[0] != 1 || !in.name(pos, qname, error) || !in.u16(pos, qtype) || !in.u16(pos, qclass) ||
      qname != question.name || qtype != static_cast<std::uint16_t>(question.type) || qclass != class_in) {
    return std::nullopt;
  }
  if ((flags & 0x0200) != 0) {
    Reply reply;
    reply.truncated = true;
    return reply;
  }
  if (rcode != 0 && rcode != rcode_nxdomain) {
    Reply reply = failure(rcode_name(rcode));
    reply.formerr = rcode == rcode_formerr;
    return reply;
  }
  // Each record takes at least 11 octets: counts beyond that are lies, not allocations.
  if ((std::size_t{counts[1]} + counts[2]) * 11 > message.size() - pos) {
    return failure("malformed reply: more records counted than the message holds");
  }
  std::vector<Record> answers(counts[1]);
  std::vector<Record> authority(counts[2]);
  for (Record& record : answers) {
    if (!read_record(in, pos, record, error)) return failure("malformed reply: " + error);
  }
  for (Record& record : authority) {
    if (!read_record(in, pos, record, error)) return failure("malformed reply: " + error);
  }
  // RFC 6891 6.1.3: an OPT record carries the upper 8 bits of the RCODE (BADVERS
  // and later). Nothing else of the additional section is used.
  Record extra;
  for (std::size_t i = 0; i < counts[3] && read_record(in, pos, extra, error); ++i) {
    if (extra.type == type_opt && (extra.ttl >> 24) != 0) {
      return failure("extended RCODE " + std::to_string(((extra.ttl >> 24) << 4) | static_cast<unsigned>(rcode)));
    }
  }
  const bool recursive = (flags & 0x0080) != 0 || (flags & 0x0400) != 0;  // RA or AA
  return collect(in, question, answers, authority, rcode == rcode_nxdomain, recursive);
}

}  // namespace domainauth::dns
