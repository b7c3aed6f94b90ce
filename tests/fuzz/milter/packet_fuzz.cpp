// libFuzzer target for the milter packet decoder: the input is a byte stream as an
// MTA (or an attacker on the socket) would send it, cut into reads of varying size.
// Every complete packet is decoded; the decoder must never crash, read out of
// bounds or return views outside the packet. Decoded strings are then fed to the
// reply and header encoders, whose output must stay inside its SMTP reply / field.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "milter/codec.hpp"
#include "milter/macros.hpp"

using namespace domainauth::milter;

namespace {

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Reply text from the wire must come out as lines "NNN-x.y.z ..." joined by CRLF,
// with no other CR or LF and every '%' doubled.
void check_reply_text(std::string_view text) {
  auto formatted = format_smtp_reply({550, "5.7.1", std::string(text)});
  if (!formatted.ok()) {
    return;
  }
  std::string_view rest = formatted.value();
  while (true) {
    check(rest.size() >= 9 && rest.substr(0, 3) == "550" && (rest[3] == '-' || rest[3] == ' '));
    const auto crlf = rest.find("\r\n");
    const auto line = rest.substr(0, crlf);
    check(line.find_first_of("\r\n") == std::string_view::npos);
    check(line.find('\0') == std::string_view::npos);
    if (crlf == std::string_view::npos) {
      check(rest[3] == ' ');
      break;
    }
    check(rest[3] == '-');
    rest.remove_prefix(crlf + 2);
  }
}

// A header we add may fold, but every line break must be LF + whitespace.
void check_header(std::string_view name, std::string_view value) {
  auto packet = encode(Modification{AddHeader{std::string(name), std::string(value)}});
  if (!packet.ok()) {
    return;
  }
  const std::string& bytes = packet.value();
  const auto payload = std::string_view(bytes).substr(5);
  const auto nul = payload.find('\0');
  check(nul != std::string_view::npos);
  const auto encoded_value = payload.substr(nul + 1, payload.size() - nul - 2);
  check(encoded_value.find('\r') == std::string_view::npos);
  check(encoded_value.find('\0') == std::string_view::npos);
  for (auto lf = encoded_value.find('\n'); lf != std::string_view::npos; lf = encoded_value.find('\n', lf + 1)) {
    check(lf + 1 < encoded_value.size() && (encoded_value[lf + 1] == ' ' || encoded_value[lf + 1] == '\t'));
  }
}

void exercise(const Command& command, std::string_view payload, MacroTable& macros) {
  if (const auto* def = std::get_if<MacroDefinition>(&command)) {
    for (const auto& m : def->macros) {
      check(inside(m.name, payload) && inside(m.value, payload));
    }
    macros.define(*def);
    (void)macros.get("i");
  } else if (const auto* header = std::get_if<Header>(&command)) {
    check(inside(header->name, payload) && inside(header->value, payload));
    check_header(header->name, header->value);
    check_reply_text(header->value);
  } else if (const auto* connect = std::get_if<Connect>(&command)) {
    check(inside(connect->hostname, payload) && inside(connect->address, payload));
    check((connect->family == Family::inet || connect->family == Family::inet6) == connect->ip.has_value());
  } else if (const auto* mail = std::get_if<MailFrom>(&command)) {
    check(inside(mail->address, payload));
    for (auto arg : mail->esmtp_args) {
      check(inside(arg, payload));
    }
  } else if (const auto* unknown = std::get_if<UnknownCommand>(&command)) {
    check_reply_text(unknown->line);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  // The first byte picks the read size, so packets get split at every offset.
  const std::size_t read_size = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  FrameReader reader;
  MacroTable macros;
  while (true) {
    auto next = reader.next();
    if (next.status == FrameReader::Status::error) {
      check(!next.error.detail.empty());
      break;
    }
    if (next.status == FrameReader::Status::frame) {
      check(next.frame.payload.size() < kMaxPacketLength);
      auto command = decode(next.frame);
      if (command.ok()) {
        exercise(command.value(), next.frame.payload, macros);
      } else {
        check(!command.error().detail.empty());
      }
      continue;
    }
    if (input.empty()) {
      break;
    }
    auto space = reader.prepare();
    const std::size_t n = std::min({read_size, space.size(), input.size()});
    std::copy_n(input.data(), n, space.data());
    reader.commit(n);
    input.remove_prefix(n);
  }
  return 0;
}
