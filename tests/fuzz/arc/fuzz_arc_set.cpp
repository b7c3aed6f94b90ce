// libFuzzer target: the ARC set parser (RFC 8617 4.1, 4.2, 5.2 steps 1 and 3):
// the input is a header block; its ARC fields are collected into sets and each
// ARC-Seal and ARC-Message-Signature parsed. Each that parses is written by
// format_seal / format_message_signature and must read back the same.
#include <cstdint>
#include <string_view>

#include "arc/set.hpp"
#include "dkim/signature.hpp"
#include "round_trip.hpp"

using namespace domainauth;

namespace {

void seal_round_trip(const mail::HeaderField& field) {
  auto parsed = arc::parse_seal(field.value());
  if (!parsed.ok()) return;
  const arc::Seal& s = parsed.seal;
  std::string written = arc::format_seal(s);
  auto back = mail::parse_header_field(written);
  auto again = arc::parse_seal(back ? back->value() : std::string_view{});
  const arc::Seal& a = again.seal;
  fuzz::require_round_trip(again.ok() && a.algorithm == s.algorithm && a.b == s.b && a.cv == s.cv &&
                               a.domain == s.domain && a.selector == s.selector && a.instance == s.instance &&
                               a.timestamp == s.timestamp,
                           "ARC-Seal", field.raw, written);
}

void message_signature_round_trip(const mail::HeaderField& field, unsigned instance) {
  auto parsed = dkim::parse_signature(field.value(), dkim::SignatureKind::arc_message_signature);
  if (!parsed.ok()) return;
  const dkim::Signature& s = parsed.signature;
  std::string written = arc::format_message_signature(s, instance);
  auto back = mail::parse_header_field(written);
  auto again = back ? dkim::parse_signature(back->value(), dkim::SignatureKind::arc_message_signature)
                    : dkim::ParsedSignature{{}, "unreadable field"};
  const dkim::Signature& a = again.signature;
  fuzz::require_round_trip(again.ok() && arc::instance_of(*back) == instance && a.algorithm == s.algorithm &&
                               a.b == s.b && a.bh == s.bh && a.header_canon == s.header_canon &&
                               a.body_canon == s.body_canon && a.domain == s.domain && a.headers == s.headers &&
                               a.length == s.length && a.selector == s.selector && a.timestamp == s.timestamp &&
                               a.expiration == s.expiration,
                           "ARC-Message-Signature", field.raw, written);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  mail::MessageSplitter splitter;
  (void)splitter.feed(input);
  splitter.finish();
  const auto& headers = splitter.headers();
  arc::Chain chain = arc::collect_sets(headers);
  for (const auto& set : chain.sets) {
    seal_round_trip(*set.seal);
    message_signature_round_trip(*set.ams, set.instance);
  }
  for (const auto& field : headers) (void)arc::instance_of(field);
  return 0;
}
