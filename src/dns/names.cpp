// Printable names of DNS status values, for logs, reasons and --json output.
#include "dns/resolver.hpp"

namespace domainauth::dns {

std::string_view to_string(Status status) {
  switch (status) {
    case Status::answer: return "answer";
    case Status::nxdomain: return "nxdomain";
    case Status::nodata: return "nodata";
    case Status::servfail: return "servfail";
    case Status::timeout: return "timeout";
  }
  return "unknown";
}

std::string_view to_string(Dnssec dnssec) {
  switch (dnssec) {
    case Dnssec::insecure: return "insecure";
    case Dnssec::secure: return "secure";
    case Dnssec::bogus: return "bogus";
  }
  return "unknown";
}

std::string_view to_string(RecordType type) {
  switch (type) {
    case RecordType::a: return "A";
    case RecordType::ptr: return "PTR";
    case RecordType::mx: return "MX";
    case RecordType::txt: return "TXT";
    case RecordType::aaaa: return "AAAA";
    case RecordType::tlsa: return "TLSA";
  }
  return "unknown";
}

}  // namespace domainauth::dns
