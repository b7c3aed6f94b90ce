// Unit tests of wire-format rdata decoding (dns/rdata.hpp): RFC 1035 3.3 / 3.4.1,
// RFC 3596 2.2, with handcrafted bytes, malformed ones included.
#include "dns/rdata.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace domainauth::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Decoded {
  bool ok = false;
  Answer answer;
  std::string error;
};

Decoded decode(RecordType type, const Bytes& rdata) {
  Decoded out;
  out.ok = append_rdata(type, rdata, out.answer, out.error);
  return out;
}

TEST(Rdata, rfc1035_a_is_four_octets) {
  const Decoded d = decode(RecordType::a, {192, 0, 2, 1});
  ASSERT_TRUE(d.ok) << d.error;
  ASSERT_EQ(d.answer.addresses.size(), 1u);
  EXPECT_EQ(d.answer.addresses[0].to_string(), "192.0.2.1");
}

TEST(Rdata, rfc3596_aaaa_is_sixteen_octets) {
  const Decoded d = decode(RecordType::aaaa, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  ASSERT_TRUE(d.ok) << d.error;
  ASSERT_EQ(d.answer.addresses.size(), 1u);
  EXPECT_TRUE(d.answer.addresses[0].is_v6());
  EXPECT_EQ(d.answer.addresses[0].to_string(), "2001:db8::1");
}

TEST(Rdata, rfc1035_txt_strings_are_concatenated) {
  const Decoded d = decode(RecordType::txt, {3, 'v', '=', 's', 4, 'p', 'f', '1', ' ', 2, '-', 'a'});
  ASSERT_TRUE(d.ok) << d.error;
  ASSERT_EQ(d.answer.txt.size(), 1u);
  EXPECT_EQ(d.answer.txt[0], "v=spf1 -a");
}

TEST(Rdata, rfc1035_txt_empty_string_is_empty_text) {
  for (const Bytes& rdata : {Bytes{0}, Bytes{0, 0}, Bytes{}}) {
    const Decoded d = decode(RecordType::txt, rdata);
    ASSERT_TRUE(d.ok) << d.error;
    ASSERT_EQ(d.answer.txt.size(), 1u);
    EXPECT_EQ(d.answer.txt[0], "");
  }
}

TEST(Rdata, rfc1035_txt_keeps_binary_octets) {
  const Decoded d = decode(RecordType::txt, {3, 0, 0xff, '"'});
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.answer.txt[0], std::string("\0\xff\"", 3));
}

TEST(Rdata, rfc1035_mx_preference_and_exchange_lower_case) {
  const Decoded d = decode(RecordType::mx, {0x01, 0x02, 2, 'M', 'x', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c',
                                            'O', 'M', 0});
  ASSERT_TRUE(d.ok) << d.error;
  ASSERT_EQ(d.answer.mx.size(), 1u);
  EXPECT_EQ(d.answer.mx[0].preference, 0x0102);
  EXPECT_EQ(d.answer.mx[0].exchange, "mx.example.com");
}

TEST(Rdata, rfc7505_null_mx_is_root_name) {
  const Decoded d = decode(RecordType::mx, {0, 0, 0});
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.answer.mx[0].preference, 0);
  EXPECT_EQ(d.answer.mx[0].exchange, "");
}

TEST(Rdata, rfc1035_ptr_name) {
  const Decoded d = decode(RecordType::ptr, {4, 'M', 'a', 'i', 'l', 2, 'e', 'x', 0});
  ASSERT_TRUE(d.ok) << d.error;
  ASSERT_EQ(d.answer.names.size(), 1u);
  EXPECT_EQ(d.answer.names[0], "mail.ex");
}

TEST(Rdata, rfc6698_2_1_tlsa_fields_and_association_data) {
  const Decoded d = decode(RecordType::tlsa, {3, 1, 1, 0xAB, 0xCD});
  ASSERT_TRUE(d.ok) << d.error;
  ASSERT_EQ(d.answer.tlsa.size(), 1u);
  EXPECT_EQ(d.answer.tlsa[0].usage, 3);
  EXPECT_EQ(d.answer.tlsa[0].selector, 1);
  EXPECT_EQ(d.answer.tlsa[0].matching, 1);
  EXPECT_EQ(d.answer.tlsa[0].data, (Bytes{0xAB, 0xCD}));
}

TEST(Rdata, rfc6698_2_1_tlsa_without_association_data_is_an_error) {
  const Decoded d = decode(RecordType::tlsa, {3, 1, 1});
  EXPECT_FALSE(d.ok);
  EXPECT_NE(d.error.find("TLSA"), std::string::npos) << d.error;
  EXPECT_TRUE(d.answer.tlsa.empty());
}

TEST(Rdata, rfc1035_5_1_special_octets_in_labels_are_escaped) {
  const Decoded d = decode(RecordType::ptr, {5, 'a', '.', 'b', '\\', ' ', 1, 0xC8, 0});
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.answer.names[0], "a\\.b\\\\\\032.\\200");
}

struct Malformed {
  const char* rule;
  RecordType type;
  Bytes rdata;
  const char* error_part;
};

TEST(Rdata, malformed_rdata_is_an_error_not_a_crash) {
  const std::vector<Malformed> cases = {
      {"A shorter than 4 octets", RecordType::a, {127, 0, 0}, "want 4"},
      {"A longer than 4 octets", RecordType::a, {127, 0, 0, 1, 0}, "want 4"},
      {"AAAA of 4 octets", RecordType::aaaa, {127, 0, 0, 1}, "want 16"},
      {"TXT string overruns rdata", RecordType::txt, {5, 'a', 'b'}, "overruns"},
      {"TXT second string overruns", RecordType::txt, {1, 'a', 9, 'b'}, "overruns"},
      {"MX without exchange", RecordType::mx, {0, 10}, "too short"},
      {"MX exchange truncated", RecordType::mx, {0, 10, 3, 'm', 'x'}, "overruns"},
      {"MX exchange without root label", RecordType::mx, {0, 10, 2, 'm', 'x'}, "truncated"},
      {"MX octets after exchange", RecordType::mx, {0, 10, 0, 1}, "after the name"},
      {"PTR compression pointer", RecordType::ptr, {0xC0, 0x0C}, "compression"},
      {"PTR extended label type", RecordType::ptr, {0x41, 'a', 0}, "label type 1"},
      {"PTR empty rdata", RecordType::ptr, {}, "truncated"},
  };
  for (const Malformed& c : cases) {
    const Decoded d = decode(c.type, c.rdata);
    EXPECT_FALSE(d.ok) << c.rule;
    EXPECT_NE(d.error.find(c.error_part), std::string::npos) << c.rule << ": got error \"" << d.error << "\"";
    EXPECT_TRUE(d.answer.txt.empty() && d.answer.addresses.empty() && d.answer.mx.empty() && d.answer.names.empty())
        << c.rule;
  }
}

TEST(Rdata, rfc1035_2_3_4_name_of_255_octets_is_the_limit) {
  // 4 labels of 63 octets = 256 octets with their length octets, plus the root: too long.
  Bytes too_long;
  for (int i = 0; i < 4; ++i) {
    too_long.push_back(63);
    too_long.insert(too_long.end(), 63, 'a');
  }
  too_long.push_back(0);
  const Decoded d = decode(RecordType::ptr, too_long);
  EXPECT_FALSE(d.ok);
  EXPECT_NE(d.error.find("longer than 255"), std::string::npos) << d.error;

  // 3 x 63 + 1 x 61: 64*3 + 62 + 1 = 255 octets: allowed.
  Bytes longest(too_long.begin(), too_long.begin() + 3 * 64);
  longest.push_back(61);
  longest.insert(longest.end(), 61, 'b');
  longest.push_back(0);
  ASSERT_EQ(longest.size(), 255u);
  const Decoded ok = decode(RecordType::ptr, longest);
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.answer.names[0].size(), 3 * 64 + 61u);
}

TEST(Rdata, read_name_advances_past_the_name) {
  const Bytes wire = {1, 'a', 0, 0xAA};
  std::size_t pos = 0;
  std::string name;
  std::string error;
  ASSERT_TRUE(read_name(wire, pos, name, error)) << error;
  EXPECT_EQ(name, "a");
  EXPECT_EQ(pos, 3u);
}

}  // namespace
}  // namespace domainauth::dns
