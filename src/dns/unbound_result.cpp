// libunbound result -> dns::Answer (see unbound_resolver.hpp). Reads untrusted
// rdata from DNS answers (decoded with bounds checks in rdata.cpp).
#include <unbound.h>

#include <span>

#include "dns/message.hpp"
#include "dns/rdata.hpp"
#include "dns/unbound_resolver.hpp"

namespace domainauth::dns {

namespace {

void decode_records(const ub_result& result, RecordType type, Answer& answer) {
  if (result.data == nullptr || result.len == nullptr) {
    answer = servfail("libunbound reported data but gave none");
    return;
  }
  for (std::size_t i = 0; result.data[i] != nullptr; ++i) {
    if (result.len[i] < 0) {
      answer = servfail("negative rdata length from libunbound");
      return;
    }
    std::span<const std::uint8_t> rdata(reinterpret_cast<const std::uint8_t*>(result.data[i]),
                                        static_cast<std::size_t>(result.len[i]));
    std::string error;
    if (!append_rdata(type, rdata, answer, error)) {
      const Dnssec dnssec = answer.dnssec;
      answer = servfail("malformed " + std::string(to_string(type)) + " rdata: " + error);
      answer.dnssec = dnssec;
      return;
    }
  }
  answer.status = Status::answer;
}

}  // namespace

Answer answer_from_result(const ub_result& result, RecordType type) {
  if (result.bogus != 0) {
    // RFC 4035 5.5: a validating resolver answers bogus data with SERVFAIL.
    Answer answer = servfail(std::string("DNSSEC bogus: ") +
                            (result.why_bogus != nullptr ? result.why_bogus : "no reason given"));
    answer.dnssec = Dnssec::bogus;
    return answer;
  }
  Answer answer;
  answer.dnssec = result.secure != 0 ? Dnssec::secure : Dnssec::insecure;
  if (result.havedata != 0) {
    decode_records(result, type, answer);
  } else if (result.nxdomain != 0) {
    answer.status = Status::nxdomain;  // RFC 2308 2.1
  } else if (result.rcode == 0) {
    answer.status = Status::nodata;  // RFC 2308 2.2: NOERROR, no records of the type
  } else {
    answer.status = Status::servfail;
    answer.detail = rcode_name(result.rcode);
  }
  return answer;
}

}  // namespace domainauth::dns
