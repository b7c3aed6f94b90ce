// Milter codec, MTA side in: packet framing and the decoding of every MTA command,
// well-formed (wire bytes annotated field by field, as Postfix's milter8.c sends
// them) and malformed (truncated, missing NULs, bad family, oversize length).
#include <gtest/gtest.h>

#include <string>

#include "milter/codec.hpp"

using namespace std::string_literals;

namespace domainauth::milter {
namespace {

// Feeds bytes to a FrameReader and decodes the first packet (for commands whose
// decoded form holds no views into the packet: the reader is gone afterwards).
Result<Command> decode_wire(const std::string& wire) {
  FrameReader reader;
  auto space = reader.prepare();
  EXPECT_GE(space.size(), wire.size());
  std::copy(wire.begin(), wire.end(), space.begin());
  reader.commit(wire.size());
  auto next = reader.next();
  if (next.status == FrameReader::Status::error) {
    return next.error;
  }
  EXPECT_EQ(next.status, FrameReader::Status::frame);
  return decode(next.frame);
}

// A payload and its decoded form, which holds views into it: kept together, never moved.
class Decoded {
 public:
  Decoded(char code, std::string payload)
      : payload_(std::move(payload)), result_(decode(Frame{static_cast<std::uint8_t>(code), payload_})) {}
  Decoded(const Decoded&) = delete;
  Decoded& operator=(const Decoded&) = delete;

  [[nodiscard]] const Result<Command>& result() const { return result_; }
  template <class T>
  [[nodiscard]] const T& as() const {
    EXPECT_TRUE(result_.ok()) << (result_.ok() ? "" : result_.error().detail);
    return std::get<T>(result_.value());
  }
  template <class T>
  [[nodiscard]] bool is() const {
    return result_.ok() && std::holds_alternative<T>(result_.value());
  }

 private:
  std::string payload_;
  Result<Command> result_;
};


// ---------------------------------------------------------------- framing

TEST(MilterFraming, OptnegPacketFromPostfix) {
  const std::string wire =
      "\x00\x00\x00\x0d"  // length 13: command byte + 3 x uint32
      "O"                 // SMFIC_OPTNEG
      "\x00\x00\x00\x06"  // version 6
      "\x00\x00\x01\xff"  // actions: every SMFIF_* Postfix knows
      "\x00\x1f\xff\xff"s;  // protocol steps offered
  const auto result = decode_wire(wire);
  ASSERT_TRUE(result.ok()) << result.error().detail;
  const auto& optneg = std::get<OptionNegotiation>(result.value());
  EXPECT_EQ(optneg.version, 6u);
  EXPECT_EQ(optneg.actions.bits(), 0x1ffu);
  EXPECT_EQ(optneg.steps.bits(), 0x1fffffu);
  EXPECT_TRUE(optneg.steps.has(Step::header_leading_space));
}

TEST(MilterFraming, PacketsSplitAnywhereAndPipelined) {
  const std::string wire =
      "\x00\x00\x00\x0c" "H" "mx.example\0"  // length 12, SMFIC_HELO, "mx.example"
      "\x00\x00\x00\x01" "T"                 // SMFIC_DATA
      "\x00\x00\x00\x01" "N"s;               // SMFIC_EOH
  FrameReader reader;
  std::vector<std::uint8_t> codes;
  for (char byte : wire) {  // one byte per read: the worst a peer can do
    auto space = reader.prepare();
    space[0] = byte;
    reader.commit(1);
    for (auto next = reader.next(); next.status == FrameReader::Status::frame; next = reader.next()) {
      codes.push_back(next.frame.command);
      if (next.frame.command == 'H') {
        EXPECT_EQ(next.frame.payload, "mx.example\0"s);
      }
    }
  }
  EXPECT_EQ(codes, (std::vector<std::uint8_t>{'H', 'T', 'N'}));
  EXPECT_FALSE(reader.partial());
}

TEST(MilterFraming, ZeroLengthIsAnError) {
  auto result = decode_wire("\x00\x00\x00\x00"s);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::empty_packet);
}

TEST(MilterFraming, OversizeLengthRefusedBeforeThePayloadArrives) {
  FrameReader reader;
  auto space = reader.prepare();
  const std::string header = "\x00\x10\x00\x02"s;  // 1 MiB + 2 > kMaxPacketLength
  std::copy(header.begin(), header.end(), space.begin());
  reader.commit(header.size());
  auto next = reader.next();
  ASSERT_EQ(next.status, FrameReader::Status::error);
  EXPECT_EQ(next.error.code, ErrorCode::oversize_packet);
  EXPECT_LE(reader.capacity(), FrameReader::kReadChunk);  // nothing allocated for it
}

TEST(MilterFraming, LargestPacketAcceptedAndBufferShrinksAfterwards) {
  FrameReader reader;
  std::string wire(4 + kMaxPacketLength, 'x');
  wire[0] = 0x00; wire[1] = 0x10; wire[2] = 0x00; wire[3] = 0x01;  // 1 MiB + 1
  wire[4] = 'B';                                                 // SMFIC_BODY
  std::size_t sent = 0;
  FrameReader::Next next;
  while (next.status != FrameReader::Status::frame) {
    auto space = reader.prepare();
    const auto n = std::min(space.size(), wire.size() - sent);
    std::copy_n(wire.begin() + static_cast<std::ptrdiff_t>(sent), n, space.begin());
    reader.commit(n);
    sent += n;
    next = reader.next();
    ASSERT_NE(next.status, FrameReader::Status::error);
  }
  EXPECT_EQ(next.frame.payload.size(), kMaxPayloadSize);
  (void)reader.prepare();
  EXPECT_LE(reader.capacity(), FrameReader::kKeepCapacity);
}

// ---------------------------------------------------------------- commands

TEST(MilterDecode, MacrosForConnect) {
  const Decoded d('D',
      "C"                        // stage: the macros precede SMFIC_CONNECT
      "j\0" "mx.example.org\0"   // name, value
      "{daemon_name}\0" "smtpd\0"s);
  const auto& def = d.as<MacroDefinition>();
  EXPECT_EQ(def.stage, MacroStage::connect);
  ASSERT_EQ(def.macros.size(), 2u);
  EXPECT_EQ(def.macros[0].name, "j");
  EXPECT_EQ(def.macros[0].value, "mx.example.org");
  EXPECT_EQ(def.macros[1].name, "{daemon_name}");
  EXPECT_EQ(def.macros[1].value, "smtpd");
}

TEST(MilterDecode, MacroPacketWithNoMacrosIsValid) {
  const Decoded d('D', "E");
  EXPECT_EQ(d.as<MacroDefinition>().stage, MacroStage::end_of_message);
  EXPECT_TRUE(d.as<MacroDefinition>().macros.empty());
}

// Postfix's milter8.c sends its end-of-header macros before each SMFIC_HEADER and
// its end-of-data macros before each SMFIC_BODY (seen from Postfix 3.7).
TEST(MilterDecode, PostfixMacrosBeforeHeaderAndBody) {
  const Decoded header('D', "Li\0ABC123\0"s);
  EXPECT_EQ(header.as<MacroDefinition>().stage, MacroStage::end_of_headers);
  EXPECT_EQ(header.as<MacroDefinition>().macros.at(0).value, "ABC123");
  const Decoded body('D', "Bi\0ABC123\0"s);
  EXPECT_EQ(body.as<MacroDefinition>().stage, MacroStage::end_of_message);
}

TEST(MilterDecode, ConnectInet) {
  const Decoded d('C',
      "mail.example.org\0"  // client host name
      "4"                   // SMFIA_INET
      "\x00\x19"            // port 25, network order
      "192.0.2.1\0"s);      // client address
  const auto& c = d.as<Connect>();
  EXPECT_EQ(c.hostname, "mail.example.org");
  EXPECT_EQ(c.family, Family::inet);
  EXPECT_EQ(c.port, 25);
  EXPECT_EQ(c.address, "192.0.2.1");
  ASSERT_TRUE(c.ip);
  EXPECT_EQ(c.ip->to_string(), "192.0.2.1");
}

TEST(MilterDecode, ConnectInet6WithAndWithoutSendmailPrefix) {
  for (const auto& address : {"2001:db8::25"s, "IPv6:2001:db8::25"s, "fe80::1%eth0"s}) {
    const Decoded d('C', "[unknown]\0" "6" "\xc3\x50"s + address + '\0');  // SMFIA_INET6, port 50000
    const auto& c = d.as<Connect>();
    EXPECT_EQ(c.family, Family::inet6);
    EXPECT_EQ(c.port, 50000);
    ASSERT_TRUE(c.ip) << address;
    EXPECT_TRUE(c.ip->is_v6());
  }
}

TEST(MilterDecode, ConnectUnixAndUnknown) {
  const Decoded local('C', "localhost\0" "L" "\x00\x00" "/run/smtpd.sock\0"s);  // SMFIA_UNIX, port 0, path
  EXPECT_EQ(local.as<Connect>().family, Family::unix_socket);
  EXPECT_EQ(local.as<Connect>().address, "/run/smtpd.sock");
  EXPECT_FALSE(local.as<Connect>().ip);
  const Decoded unknown('C', "localhost\0" "U"s);  // SMFIA_UNKNOWN: no port, no address
  EXPECT_EQ(unknown.as<Connect>().family, Family::unknown);
  EXPECT_TRUE(unknown.as<Connect>().address.empty());
}

TEST(MilterDecode, HeloMailRcpt) {
  const Decoded helo('H', "client.example\0"s);
  EXPECT_EQ(helo.as<Helo>().name, "client.example");
  const Decoded mail('M', "<a@example.org>\0" "SIZE=1000\0" "BODY=8BITMIME\0"s);  // address, ESMTP args
  EXPECT_EQ(mail.as<MailFrom>().address, "<a@example.org>");
  EXPECT_EQ(mail.as<MailFrom>().esmtp_args, (std::vector<std::string_view>{"SIZE=1000", "BODY=8BITMIME"}));
  const Decoded rcpt('R', "<b@example.net>\0"s);
  EXPECT_EQ(rcpt.as<RcptTo>().address, "<b@example.net>");
  EXPECT_TRUE(rcpt.as<RcptTo>().esmtp_args.empty());
  const Decoded null_sender('M', "<>\0"s);
  EXPECT_EQ(null_sender.as<MailFrom>().address, "<>");
}

TEST(MilterDecode, HeaderKeepsValueAsSent) {
  const Decoded d('L', "Subject\0" " hello\n\tworld\0"s);  // name, value (leading space: SMFIP_HDR_LEADSPC)
  EXPECT_EQ(d.as<Header>().name, "Subject");
  EXPECT_EQ(d.as<Header>().value, " hello\n\tworld");
}

TEST(MilterDecode, BodyAndEndOfMessageAreRawBytes) {
  const Decoded body('B', "line\r\n\0binary"s);
  EXPECT_EQ(body.as<BodyChunk>().bytes, "line\r\n\0binary"s);
  const Decoded eom('E', "");
  EXPECT_TRUE(eom.as<EndOfMessage>().bytes.empty());
  const Decoded eom_with_tail('E', "tail");
  EXPECT_EQ(eom_with_tail.as<EndOfMessage>().bytes, "tail");
}

TEST(MilterDecode, CommandsWithoutPayload) {
  EXPECT_TRUE(Decoded('T', "").is<Data>());
  EXPECT_TRUE(Decoded('N', "").is<EndOfHeaders>());
  EXPECT_TRUE(Decoded('A', "").is<Abort>());
  EXPECT_TRUE(Decoded('Q', "").is<Quit>());
  EXPECT_TRUE(Decoded('K', "").is<QuitNoClose>());
  const Decoded unknown('U', "HELP me\0"s);
  EXPECT_EQ(unknown.as<UnknownCommand>().line, "HELP me");
}

// ---------------------------------------------------------------- malformed

struct Malformed {
  const char* name;
  char code;
  std::string payload;
  ErrorCode want;
};

class MilterDecodeMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(MilterDecodeMalformed, IsRefusedWithTheRightError) {
  const auto& c = GetParam();
  const Decoded d(c.code, c.payload);
  const auto& result = d.result();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, c.want) << to_string(result.error().code) << ": " << result.error().detail;
  EXPECT_FALSE(result.error().detail.empty());
}

INSTANTIATE_TEST_SUITE_P(
    All, MilterDecodeMalformed,
    ::testing::Values(
        Malformed{"unknown_command", 'Z', "", ErrorCode::unknown_command},
        Malformed{"optneg_truncated", 'O', "\x00\x00\x00\x06\x00\x00"s, ErrorCode::truncated},
        Malformed{"optneg_trailing", 'O', std::string(13, '\0'), ErrorCode::trailing_data},
        Malformed{"macro_no_stage", 'D', "", ErrorCode::truncated},
        Malformed{"macro_bad_stage", 'D', "Zj\0x\0"s, ErrorCode::bad_macro_stage},
        Malformed{"macro_name_without_value", 'D', "Cj\0"s, ErrorCode::odd_macro_list},
        Malformed{"macro_value_without_nul", 'D', "Cj\0x"s, ErrorCode::missing_nul},
        Malformed{"connect_host_without_nul", 'C', "host", ErrorCode::missing_nul},
        Malformed{"connect_no_family", 'C', "host\0"s, ErrorCode::truncated},
        Malformed{"connect_bad_family", 'C', "host\0X\x00\x19" "1.2.3.4\0"s, ErrorCode::bad_family},
        Malformed{"connect_no_port", 'C', "host\0" "4\x00"s, ErrorCode::truncated},
        Malformed{"connect_address_without_nul", 'C', "host\0" "4\x00\x19" "1.2.3.4"s, ErrorCode::missing_nul},
        Malformed{"connect_bad_ipv4", 'C', "host\0" "4\x00\x19" "1.2.3.256\0"s, ErrorCode::bad_address},
        Malformed{"connect_ipv4_as_inet6", 'C', "host\0" "6\x00\x19" "1.2.3.4\0"s, ErrorCode::bad_address},
        Malformed{"connect_trailing", 'C', "host\0U\0"s, ErrorCode::trailing_data},
        Malformed{"helo_without_nul", 'H', "client", ErrorCode::missing_nul},
        Malformed{"helo_trailing", 'H', "client\0x"s, ErrorCode::trailing_data},
        Malformed{"mail_empty", 'M', "", ErrorCode::missing_argument},
        Malformed{"mail_without_nul", 'M', "<a@b>", ErrorCode::missing_nul},
        Malformed{"rcpt_arg_without_nul", 'R', "<a@b>\0SIZE"s, ErrorCode::missing_nul},
        Malformed{"header_value_missing", 'L', "Subject\0"s, ErrorCode::missing_nul},
        Malformed{"header_trailing", 'L', "Subject\0x\0y"s, ErrorCode::trailing_data},
        Malformed{"data_trailing", 'T', "x", ErrorCode::trailing_data},
        Malformed{"eoh_trailing", 'N', "x", ErrorCode::trailing_data},
        Malformed{"abort_trailing", 'A', "x", ErrorCode::trailing_data},
        Malformed{"quit_trailing", 'Q', "x", ErrorCode::trailing_data},
        Malformed{"quit_nc_trailing", 'K', "x", ErrorCode::trailing_data},
        Malformed{"unknown_without_nul", 'U', "HELP", ErrorCode::missing_nul}),
    [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace domainauth::milter
