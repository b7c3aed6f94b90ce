// The DNS interface every protocol module uses. An answer is never reduced to a
// bool: records, NXDOMAIN, NODATA, a server failure and a timeout stay apart
// (SPF's void-lookup and temperror rules need the difference), and each answer
// carries its DNSSEC status. Implementations: UnboundResolver (libunbound, the
// daemon and CLI) and the in-memory resolver of the tests.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.hpp"

namespace domainauth::dns {

enum class RecordType : std::uint16_t { a = 1, ptr = 12, mx = 15, txt = 16, aaaa = 28, tlsa = 52 };

enum class Status : std::uint8_t {
  answer,    // one or more records of the asked type
  nxdomain,  // the name does not exist (RCODE 3)
  nodata,    // the name exists but has no record of this type
  servfail,  // the server failed, refused, or answered something unusable
  timeout,   // no answer within the per-query timeout
};

enum class Dnssec : std::uint8_t {
  insecure,  // not validated (no trust anchor, or an unsigned zone)
  secure,    // validated chain of trust
  bogus,     // validation failed
};

struct MxRecord {
  std::uint16_t preference = 0;
  std::string exchange;  // lower case, no trailing dot
};

// RFC 6698 2.1: a TLSA record (DANE); the fields are judged by the caller
// (RFC 7672 for SMTP), any values accepted here.
struct TlsaRecord {
  std::uint8_t usage = 0;     // certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
  std::uint8_t selector = 0;  // 0 full certificate, 1 SubjectPublicKeyInfo
  std::uint8_t matching = 0;  // 0 exact, 1 SHA-256, 2 SHA-512
  std::vector<std::uint8_t> data;  // certificate association data, at least one octet
};

struct Answer {
  Status status = Status::servfail;
  Dnssec dnssec = Dnssec::insecure;
  std::string detail;                     // why: e.g. the bogus reason, "REFUSED"
  std::vector<std::string> txt;           // TXT: each record's strings concatenated
  std::vector<net::IpAddress> addresses;  // A / AAAA
  std::vector<MxRecord> mx;               // MX
  std::vector<std::string> names;         // PTR targets, lower case, no trailing dot
  std::vector<TlsaRecord> tlsa;           // TLSA

  [[nodiscard]] bool found() const { return status == Status::answer; }
  // The records decoded, of whichever type was asked.
  [[nodiscard]] std::size_t record_count() const {
    return txt.size() + addresses.size() + mx.size() + names.size() + tlsa.size();
  }
  // NXDOMAIN or NODATA: a definite "nothing here" (RFC 7208 4.6.4 void lookup).
  [[nodiscard]] bool empty() const { return status == Status::nxdomain || status == Status::nodata; }
  // SERVFAIL or timeout: try again later (temperror).
  [[nodiscard]] bool transient() const { return status == Status::servfail || status == Status::timeout; }
};

// A servfail answer that says why: the server failed, its reply was unusable, or
// the query could not be asked.
[[nodiscard]] inline Answer servfail(std::string detail) {
  Answer answer;
  answer.status = Status::servfail;
  answer.detail = std::move(detail);
  return answer;
}

[[nodiscard]] std::string_view to_string(Status status);
[[nodiscard]] std::string_view to_string(Dnssec dnssec);
[[nodiscard]] std::string_view to_string(RecordType type);

class Resolver {
 public:
  using Handler = std::function<void(Answer)>;

  virtual ~Resolver() = default;

  // Starts a lookup of name (absolute, with or without trailing dot). The handler
  // runs exactly once, later, on the thread that runs the resolver's event loop;
  // never from inside query() itself.
  virtual void query(std::string_view name, RecordType type, Handler handler) = 0;
};

}  // namespace domainauth::dns
