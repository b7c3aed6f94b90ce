// libFuzzer target: the RFC 5322 lexical writers on any octets. Whatever the
// input, a quoted-string or a comment we write must scan back as exactly one
// quoted-string or comment (nothing escapes it), carry no control, and with
// Unprintable::question_mark be printable ASCII only.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/lexical.hpp"

using namespace domainauth::mail;

namespace {

bool has_control(std::string_view s) {
  for (char c : s)
    if (domainauth::text::is_control(c)) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (auto policy : {Unprintable::question_mark, Unprintable::space, Unprintable::drop}) {
    const std::string quoted = quoted_string(input, policy);
    Scanner q(quoted);
    const auto back = q.value();
    if (!back || !q.at_end() || has_control(quoted)) std::abort();
    const std::string comment = "(" + comment_text(input, policy) + ")";
    Scanner c(comment);
    if (!c.skip_cfws() || !c.at_end() || has_control(comment)) std::abort();
    if (policy == Unprintable::question_mark) {
      for (char ch : quoted + comment)
        if (static_cast<unsigned char>(ch) >= 0x80) std::abort();
      if (back->size() != input.size()) std::abort();  // one octet out for each in
    }
  }
  if (is_dot_atom(input) && quoted_string(input, Unprintable::question_mark) != "\"" + std::string(input) + "\"")
    std::abort();  // dot-atom text needs no escaping
  return 0;
}
