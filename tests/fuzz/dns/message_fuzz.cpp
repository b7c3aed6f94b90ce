// Fuzz target for DNS replies (dns/message.hpp): the first octet picks the
// asked type, the rest is a reply to the query "a.example" with the ID it
// carries itself. Also feeds the same octets to make_question as a name.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dns/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace domainauth::dns;
  constexpr std::array<RecordType, 5> types = {RecordType::a, RecordType::aaaa, RecordType::mx, RecordType::ptr,
                                               RecordType::txt};
  if (size < 3) return 0;
  std::string error;
  if (const auto q = make_question(std::string_view(reinterpret_cast<const char*>(data), size), RecordType::a, error)) {
    if (q->name.empty() || q->name.size() > 255 || q->name.back() != 0) __builtin_trap();
  } else if (error.empty()) {
    __builtin_trap();  // a refusal always says why
  }
  const auto question = make_question("a.example", types[data[0] % types.size()], error);
  const std::span<const std::uint8_t> message(data + 1, size - 1);
  const auto id = static_cast<std::uint16_t>((message[0] << 8) | message[1]);
  const std::optional<Reply> reply = read_reply(message, *question, id);
  if (!reply || reply->truncated) return 0;
  const Answer& answer = reply->answer;
  const std::size_t records = answer.txt.size() + answer.addresses.size() + answer.mx.size() + answer.names.size();
  if (answer.found() != (records > 0)) __builtin_trap();  // an answer has records, nothing else has
  if (answer.status == Status::servfail && answer.detail.empty()) __builtin_trap();
  if (reply->ttl > 86400) __builtin_trap();  // capped as unbound caps
  return 0;
}
