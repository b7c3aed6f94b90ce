// Milter codec, filter side out: option negotiation and the wire bytes of every
// reply and modification request (annotated field by field), and the refusal of
// values that would break the SMTP reply or inject header fields.
#include <gtest/gtest.h>

#include <string>

#include "milter/codec.hpp"

using namespace std::string_literals;

namespace domainauth::milter {
namespace {

std::string ok(Result<std::string> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().detail);
  return r.ok() ? r.value() : std::string();
}

ErrorCode error_of(const Result<std::string>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? ErrorCode::truncated : r.error().code;
}

const OptionNegotiation kPostfixOffer{6, Actions::from_bits(0x1ff), Steps::from_bits(0x1fffff)};

// ---------------------------------------------------------------- negotiation

TEST(MilterNegotiate, AgreesOnWhatBothSidesHave) {
  Capabilities wanted{Action::add_headers | Action::change_headers,
                      Step::no_helo | Step::no_reply_header | Step::skip | Step::max_data_size_1m, {}};
  auto agreed = negotiate(kPostfixOffer, wanted);
  ASSERT_TRUE(agreed.ok());
  EXPECT_EQ(agreed.value().version, 6u);
  EXPECT_EQ(agreed.value().actions, Action::add_headers | Action::change_headers);
  // max_data_size_1m is not in Postfix's offer: left out.
  EXPECT_EQ(agreed.value().steps, Step::no_helo | Step::no_reply_header | Step::skip);
}

TEST(MilterNegotiate, OlderMtaVersionKeptNewerCappedAtSix) {
  auto older = negotiate({2, Actions::from_bits(0x3f), Steps::from_bits(0x7f)}, {});
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older.value().version, 2u);
  auto newer = negotiate({7, Actions::from_bits(0x1ff), Steps::from_bits(0x1fffff)}, {});
  ASSERT_TRUE(newer.ok());
  EXPECT_EQ(newer.value().version, 6u);
  auto ancient = negotiate({1, Actions::from_bits(0xf), Steps{}}, {});
  ASSERT_FALSE(ancient.ok());
  EXPECT_EQ(ancient.error().code, ErrorCode::unsupported_version);
}

TEST(MilterNegotiate, NeededActionNotOfferedFails) {
  auto r = negotiate({6, Action::add_headers, Steps{}}, {Action::add_headers | Action::quarantine, {}, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::actions_not_offered);
}

TEST(MilterNegotiate, MacroListsOnlyWhenTheMtaTakesThem) {
  Capabilities wanted{Action::add_headers, {}, {{MacroListStage::end_of_message, "i {auth_authen}"}}};
  auto with = negotiate(kPostfixOffer, wanted);
  ASSERT_TRUE(with.ok());
  EXPECT_TRUE(with.value().actions.has(Action::set_macro_lists));
  EXPECT_EQ(with.value().macros.size(), 1u);
  auto without = negotiate({6, Action::add_headers, Steps{}}, wanted);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE(without.value().macros.empty());
  EXPECT_FALSE(without.value().actions.has(Action::set_macro_lists));
}

TEST(MilterEncode, NegotiationReply) {
  Negotiated n{6, Action::add_headers | Action::change_headers, Step::no_helo | Step::no_reply_header, {}};
  EXPECT_EQ(encode(n),
            "\x00\x00\x00\x0d"    // length 13
            "O"                   // SMFIC_OPTNEG
            "\x00\x00\x00\x06"    // version 6
            "\x00\x00\x00\x11"    // SMFIF_ADDHDRS | SMFIF_CHGHDRS
            "\x00\x00\x00\x82"s);  // SMFIP_NOHELO | SMFIP_NR_HDR
}

TEST(MilterEncode, NegotiationReplyWithMacroList) {
  Negotiated n{6, Action::set_macro_lists, Steps{}, {{MacroListStage::end_of_message, "i j"}}};
  EXPECT_EQ(encode(n),
            "\x00\x00\x00\x15"    // length 21
            "O"                   // SMFIC_OPTNEG
            "\x00\x00\x00\x06"    // version 6
            "\x00\x00\x01\x00"    // SMFIF_SETSYMLIST
            "\x00\x00\x00\x00"    // no protocol steps
            "\x00\x00\x00\x05"    // SMFIM_EOM
            "i j\0"s);            // macro names
}

// ---------------------------------------------------------------- replies

TEST(MilterEncode, SimpleReplies) {
  EXPECT_EQ(ok(encode(Reply::continue_())), "\x00\x00\x00\x01" "c"s);  // length 1, SMFIR_CONTINUE
  EXPECT_EQ(ok(encode(Reply::accept())), "\x00\x00\x00\x01" "a"s);     // SMFIR_ACCEPT
  EXPECT_EQ(ok(encode(Reply::reject())), "\x00\x00\x00\x01" "r"s);     // SMFIR_REJECT
  EXPECT_EQ(ok(encode(Reply::tempfail())), "\x00\x00\x00\x01" "t"s);   // SMFIR_TEMPFAIL
  EXPECT_EQ(ok(encode(Reply::discard())), "\x00\x00\x00\x01" "d"s);    // SMFIR_DISCARD
  EXPECT_EQ(ok(encode(Reply::skip())), "\x00\x00\x00\x01" "s"s);       // SMFIR_SKIP
  EXPECT_EQ(encode_progress(), "\x00\x00\x00\x01" "p"s);              // SMFIR_PROGRESS
}

TEST(MilterEncode, ReplyCodeWithEnhancedStatus) {
  EXPECT_EQ(ok(encode(Reply::with_smtp(550, "5.7.1", "Go away"))),
            "\x00\x00\x00\x13"         // length 19
            "y"                        // SMFIR_REPLYCODE
            "550 5.7.1 Go away\0"s);   // code, RFC 3463 status, text, NUL
}

struct ReplyText {
  const char* name;
  std::string text;
  std::string want;
};

class MilterReplyText : public ::testing::TestWithParam<ReplyText> {};

TEST_P(MilterReplyText, FormattedSafely) {
  auto r = format_smtp_reply({451, "4.7.0", GetParam().text});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r.value(), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc5321, MilterReplyText,
    ::testing::Values(
        ReplyText{"single_line", "try later", "451 4.7.0 try later"},
        ReplyText{"empty_text", "", "451 4.7.0"},
        // RFC 5321 4.2.1: multi-line replies repeat the code with '-' on every line but the last.
        ReplyText{"multi_line_lf", "one\ntwo\nthree", "451-4.7.0 one\r\n451-4.7.0 two\r\n451 4.7.0 three"},
        ReplyText{"multi_line_crlf", "one\r\ntwo\r\n", "451-4.7.0 one\r\n451 4.7.0 two"},
        ReplyText{"bare_cr_is_a_break", "one\rtwo", "451-4.7.0 one\r\n451 4.7.0 two"},
        // Sendmail and Postfix read the text as a format: '%' must be doubled.
        ReplyText{"percent_doubled", "100% sure %s", "451 4.7.0 100%% sure %%s"},
        ReplyText{"controls_replaced", "a\tb\x01" "c\x7f\xff", "451 4.7.0 a?b?c??"},
        ReplyText{"nul_replaced", "a\0b"s, "451 4.7.0 a?b"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(MilterEncode, ReplyCodeRefusals) {
  EXPECT_EQ(error_of(encode(Reply::with_smtp(250, "2.0.0", "ok"))), ErrorCode::bad_reply_code);
  EXPECT_EQ(error_of(encode(Reply::with_smtp(600, "5.0.0", "x"))), ErrorCode::bad_reply_code);
  // RFC 3463 2: the class digit must match the reply code's first digit.
  EXPECT_EQ(error_of(encode(Reply::with_smtp(550, "4.7.1", "x"))), ErrorCode::bad_enhanced_status);
  EXPECT_EQ(error_of(encode(Reply::with_smtp(550, "", "x"))), ErrorCode::bad_enhanced_status);
  EXPECT_EQ(error_of(encode(Reply::with_smtp(550, "5.7", "x"))), ErrorCode::bad_enhanced_status);
  EXPECT_EQ(error_of(encode(Reply::with_smtp(550, "5.1000.1", "x"))), ErrorCode::bad_enhanced_status);
  EXPECT_EQ(error_of(encode(Reply::with_smtp(550, "5.7.1 ", "x"))), ErrorCode::bad_enhanced_status);
  std::string many;
  for (std::size_t i = 0; i <= kMaxReplyLines; ++i) {
    many += "line\n";
  }
  EXPECT_EQ(error_of(encode(Reply::with_smtp(550, "5.7.1", many))), ErrorCode::bad_text);
  EXPECT_EQ(error_of(encode(Reply::with_smtp(550, "5.7.1", std::string(kMaxReplyLineLength + 1, 'x')))),
            ErrorCode::bad_text);
}

// ---------------------------------------------------------------- modifications

TEST(MilterEncode, AddHeader) {
  EXPECT_EQ(ok(encode(Modification{AddHeader{"X-Test", "yes"}})),
            "\x00\x00\x00\x0c"  // length 12
            "h"                 // SMFIR_ADDHEADER
            "X-Test\0"          // name
            "yes\0"s);          // value
}

TEST(MilterEncode, FoldedHeaderValueUsesLf) {
  EXPECT_EQ(ok(encode(Modification{AddHeader{"A", "x;\r\n\ty"}})),
            "\x00\x00\x00\x09" "h" "A\0" "x;\n\ty\0"s);
}

TEST(MilterEncode, InsertHeaderAtTop) {
  EXPECT_EQ(ok(encode(Modification{InsertHeader{0, "Authentication-Results", "mx; none"}})),
            "\x00\x00\x00\x25"             // length 37
            "i"                            // SMFIR_INSHEADER
            "\x00\x00\x00\x00"             // index 0: above every field
            "Authentication-Results\0"     // name
            "mx; none\0"s);                // value
}

TEST(MilterEncode, ChangeHeaderEmptyValueDeletes) {
  EXPECT_EQ(ok(encode(Modification{ChangeHeader{2, "Authentication-Results", ""}})),
            "\x00\x00\x00\x1d"             // length 29
            "m"                            // SMFIR_CHGHEADER
            "\x00\x00\x00\x02"             // the second field of that name
            "Authentication-Results\0"     // name
            "\0"s);                        // empty value: delete
  EXPECT_EQ(error_of(encode(Modification{ChangeHeader{0, "X", "y"}})), ErrorCode::bad_argument);
}

TEST(MilterEncode, QuarantineAndRecipientsAndSender) {
  EXPECT_EQ(ok(encode(Modification{Quarantine{"dmarc"}})), "\x00\x00\x00\x07" "q" "dmarc\0"s);
  EXPECT_EQ(ok(encode(Modification{AddRecipient{"<x@example.org>", ""}})),
            "\x00\x00\x00\x11" "+" "<x@example.org>\0"s);  // SMFIR_ADDRCPT
  EXPECT_EQ(ok(encode(Modification{AddRecipient{"<x@example.org>", "NOTIFY=NEVER"}})),
            "\x00\x00\x00\x1e" "2" "<x@example.org>\0" "NOTIFY=NEVER\0"s);  // SMFIR_ADDRCPT_PAR
  EXPECT_EQ(ok(encode(Modification{DeleteRecipient{"<y@example.org>"}})),
            "\x00\x00\x00\x11" "-" "<y@example.org>\0"s);  // SMFIR_DELRCPT
  EXPECT_EQ(ok(encode(Modification{ChangeFrom{"<>", ""}})), "\x00\x00\x00\x04" "e" "<>\0"s);  // SMFIR_CHGFROM
  EXPECT_EQ(ok(encode(Modification{ChangeFrom{"<a@b>", "SIZE=1"}})), "\x00\x00\x00\x0e" "e" "<a@b>\0" "SIZE=1\0"s);
}

struct BadModification {
  const char* name;
  Modification modification;
  ErrorCode want;
};

class MilterEncodeRefused : public ::testing::TestWithParam<BadModification> {};

TEST_P(MilterEncodeRefused, CannotInjectOrTruncate) {
  EXPECT_EQ(error_of(encode(GetParam().modification)), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc5322, MilterEncodeRefused,
    ::testing::Values(
        BadModification{"name_with_colon", AddHeader{"X-A:", "v"}, ErrorCode::bad_header_name},
        BadModification{"name_with_space", AddHeader{"X A", "v"}, ErrorCode::bad_header_name},
        BadModification{"name_empty", InsertHeader{0, "", "v"}, ErrorCode::bad_header_name},
        BadModification{"value_injects_field", AddHeader{"X-A", "v\nX-Evil: 1"}, ErrorCode::bad_header_value},
        BadModification{"value_ends_header", AddHeader{"X-A", "v\r\n\r\nbody"}, ErrorCode::bad_header_value},
        BadModification{"value_trailing_break", AddHeader{"X-A", "v\n"}, ErrorCode::bad_header_value},
        BadModification{"value_whitespace_line", AddHeader{"X-A", "v\n \nw"}, ErrorCode::bad_header_value},
        BadModification{"value_bare_cr", AddHeader{"X-A", "v\rw"}, ErrorCode::bad_header_value},
        BadModification{"value_nul", ChangeHeader{1, "X-A", "v\0w"s}, ErrorCode::bad_header_value},
        BadModification{"value_empty", AddHeader{"X-A", ""}, ErrorCode::bad_header_value},
        BadModification{"quarantine_empty", Quarantine{""}, ErrorCode::bad_argument},
        BadModification{"quarantine_newline", Quarantine{"a\nb"}, ErrorCode::bad_argument},
        BadModification{"rcpt_nul", AddRecipient{"<a\0b>"s, ""}, ErrorCode::bad_argument},
        BadModification{"rcpt_empty", DeleteRecipient{""}, ErrorCode::bad_argument},
        BadModification{"from_args_newline", ChangeFrom{"<a@b>", "X=1\r\nRCPT"}, ErrorCode::bad_argument}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(MilterEncode, RequiredActionPerModification) {
  EXPECT_EQ(required_action(AddHeader{}), Action::add_headers);
  EXPECT_EQ(required_action(InsertHeader{}), Action::add_headers);
  EXPECT_EQ(required_action(ChangeHeader{}), Action::change_headers);
  EXPECT_EQ(required_action(Quarantine{}), Action::quarantine);
  EXPECT_EQ(required_action(AddRecipient{"a", ""}), Action::add_recipients);
  EXPECT_EQ(required_action(AddRecipient{"a", "X=1"}), Action::add_recipients_with_args);
  EXPECT_EQ(required_action(DeleteRecipient{}), Action::delete_recipients);
  EXPECT_EQ(required_action(ChangeFrom{}), Action::change_from);
}

}  // namespace
}  // namespace domainauth::milter
