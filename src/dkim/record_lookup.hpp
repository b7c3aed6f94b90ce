// A record read from a DNS answer, as key records (RFC 6376 6.1.2) and RFC 6651
// reporting records are: of several TXT records the first that parses; a
// DNSSEC-bogus or failed lookup is transient, a missing record is not.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dns/resolver.hpp"

namespace domainauth::dkim {

template <typename Record>
struct RecordLookup {
  std::optional<Record> record;
  bool transient = false;
  std::string error;  // why there is no record
};

// What the messages call the record ("key record"), its lookup ("key lookup")
// and its absence ("no key for signature").
struct RecordNames {
  std::string_view record;
  std::string_view lookup;
  std::string_view missing;
};

// parse(text) gives an object with .ok(), .record and .error.
template <typename Record, typename Parse>
[[nodiscard]] RecordLookup<Record> record_from_answer(const dns::Answer& answer, const RecordNames& names,
                                                      Parse parse) {
  RecordLookup<Record> out;
  const std::string status(dns::to_string(answer.status));
  if (answer.dnssec == dns::Dnssec::bogus) {
    out.transient = true;
    out.error = std::string(names.record) + " failed DNSSEC validation";
  } else if (answer.transient()) {
    out.transient = true;
    out.error = std::string(names.lookup) + ": " + status;
  } else if (!answer.found()) {
    out.error = std::string(names.missing) + " (" + status + ")";
  } else {
    for (const auto& txt : answer.txt) {
      auto parsed = parse(txt);
      if (parsed.ok()) {
        out.record = std::move(parsed.record);
        return out;
      }
      if (out.error.empty()) out.error = parsed.error;
    }
  }
  return out;
}

}  // namespace domainauth::dkim
