// Unit tests of DNS query encoding and reply decoding (dns/message.hpp): names
// and escapes, the query header and EDNS0, and replies with compression,
// CNAME chains, negative answers with their RFC 2308 TTL, replies that are not
// ours, and malformed ones.
#include "dns/message.hpp"

#include <gtest/gtest.h>

#include "dns_wire.hpp"

namespace domainauth::dns {
namespace {

using wire::Bytes;
using wire::Header;
using wire::Rr;

constexpr unsigned type_a = 1, type_cname = 5, type_soa = 6, type_mx = 15, type_txt = 16;

Question question(std::string_view name, RecordType type) {
  std::string error;
  auto q = make_question(name, type, error);
  EXPECT_TRUE(q) << name << ": " << error;
  return q ? *q : Question{};
}

Reply read(const Bytes& message, const Question& q, std::uint16_t id = 0x1234) {
  const std::optional<Reply> reply = read_reply(message, q, id);
  EXPECT_TRUE(reply) << "the reply was not taken as ours";
  return reply ? *reply : Reply{};
}

TEST(DnsMessage, names_are_lower_cased_wire_format_with_rfc1035_escapes) {
  EXPECT_EQ(question("Mail.Example.", RecordType::a).name, wire::name("mail.example"));
  EXPECT_EQ(question("mail.example", RecordType::a).name, wire::name("mail.example"));
  Bytes dotted = {3, 'a', '.', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
  EXPECT_EQ(question("a\\.b.example", RecordType::txt).name, dotted);
  EXPECT_EQ(question("\\065bc.example", RecordType::txt).name, wire::name("abc.example"));
  EXPECT_EQ(question("", RecordType::txt).name, Bytes{0});
}

TEST(DnsMessage, names_that_cannot_be_sent_say_why) {
  const std::vector<std::pair<std::string, const char*>> cases = {
      {"a..example", "empty label"},
      {std::string(64, 'x') + ".example", "longer than 63"},
      {std::string(5 * 60, 'x').replace(60, 1, ".").replace(121, 1, ".").replace(182, 1, ".").replace(243, 1, "."),
       "longer than 255"},
      {std::string("a\0b.example", 11), "NUL"},
      {"example\\", "lone backslash"},
      {"\\25.example", "three digits"},
      {"\\256.example", "above 255"},
  };
  for (const auto& [name, why] : cases) {
    std::string error;
    EXPECT_FALSE(make_question(name, RecordType::a, error)) << name;
    EXPECT_NE(error.find(why), std::string::npos) << name << ": got \"" << error << "\"";
  }
}

TEST(DnsMessage, query_asks_for_recursion_with_or_without_edns0) {
  const Question q = question("example.org", RecordType::mx);
  const Bytes with = encode_query(q, 0xbeef, true);
  Bytes want = {0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1};
  wire::append(want, wire::name("example.org"));
  want.insert(want.end(), {0, 15, 0, 1});
  const Bytes opt = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};  // root, OPT, 1232, no flags, no data
  EXPECT_EQ(Bytes(with.begin(), with.end() - 11), want);
  EXPECT_EQ(Bytes(with.end() - 11, with.end()), opt);
  Bytes plain = encode_query(q, 0xbeef, false);
  want[11] = 0;  // ARCOUNT
  EXPECT_EQ(plain, want);
}

TEST(DnsMessage, answer_with_compressed_owners_takes_the_smallest_ttl) {
  const Question q = question("host.example", RecordType::a);
  const Bytes message = wire::reply({}, wire::name("HOST.example"), type_a,
                                    {{wire::pointer(12), type_a, 300, {192, 0, 2, 1}},
                                     {wire::pointer(12), type_a, 60, {192, 0, 2, 2}},
                                     {wire::name("other.example"), type_a, 5, {192, 0, 2, 9}}});
  const Reply reply = read(message, q);
  ASSERT_EQ(reply.answer.status, Status::answer) << reply.answer.detail;
  ASSERT_EQ(reply.answer.addresses.size(), 2u) << "a record of another owner is not taken";
  EXPECT_EQ(reply.answer.addresses[1].to_string(), "192.0.2.2");
  EXPECT_EQ(reply.ttl, 60u);
  EXPECT_FALSE(reply.truncated);
}

TEST(DnsMessage, rfc6698_tlsa_answer_is_an_answer) {
  constexpr unsigned type_tlsa = 52;
  const Question q = question("_25._tcp.mx.example", RecordType::tlsa);
  const Bytes message = wire::reply({}, wire::name("_25._tcp.mx.example"), type_tlsa,
                                    {{wire::pointer(12), type_tlsa, 300, {3, 1, 1, 0xAA, 0xBB}}});
  const Reply reply = read(message, q);
  ASSERT_EQ(reply.answer.status, Status::answer) << reply.answer.detail;
  ASSERT_EQ(reply.answer.tlsa.size(), 1u);
  EXPECT_EQ(reply.answer.tlsa[0].data, (Bytes{0xAA, 0xBB}));
}

TEST(DnsMessage, mx_exchange_compressed_into_the_question_is_expanded) {
  const Question q = question("example.org", RecordType::mx);
  Bytes rdata = {0, 10, 2, 'M', 'X'};
  wire::append(rdata, wire::pointer(12));
  const Reply reply = read(wire::reply({}, wire::name("example.org"), type_mx, {{wire::pointer(12), type_mx, 60, rdata}}), q);
  ASSERT_EQ(reply.answer.status, Status::answer) << reply.answer.detail;
  ASSERT_EQ(reply.answer.mx.size(), 1u);
  EXPECT_EQ(reply.answer.mx[0].preference, 10);
  EXPECT_EQ(reply.answer.mx[0].exchange, "mx.example.org");
}

TEST(DnsMessage, replies_to_other_queries_are_not_ours) {
  const Question q = question("host.example", RecordType::a);
  const Rr record{wire::pointer(12), type_a, 60, {192, 0, 2, 1}};
  EXPECT_FALSE(read_reply(wire::reply({0x4321}, wire::name("host.example"), type_a, {record}), q, 0x1234))
      << "another ID";
  EXPECT_FALSE(read_reply(wire::reply({0x1234, 0x0100}, wire::name("host.example"), type_a, {record}), q, 0x1234))
      << "QR clear: a query, not a reply";
  EXPECT_FALSE(read_reply(wire::reply({}, wire::name("evil.example"), type_a, {record}), q, 0x1234))
      << "another name";
  EXPECT_FALSE(read_reply(wire::reply({}, wire::name("host.example"), type_txt, {}), q, 0x1234)) << "another type";
  EXPECT_FALSE(read_reply(Bytes{0x12, 0x34, 0x81}, q, 0x1234)) << "shorter than a header";
}

TEST(DnsMessage, truncated_reply_asks_for_tcp) {
  const Question q = question("long.example", RecordType::txt);
  const Reply reply = read(wire::reply({0x1234, 0x8380}, wire::name("long.example"), type_txt, {}), q);
  EXPECT_TRUE(reply.truncated);
}

TEST(DnsMessage, rfc2308_negative_answers_cached_for_soa_ttl_or_minimum) {
  const Question q = question("missing.example", RecordType::txt);
  const Reply nx = read(wire::reply({0x1234, 0x8183}, wire::name("missing.example"), type_txt, {},
                                    {{wire::name("example"), type_soa, 900, wire::soa_rdata(300)}}),
                        q);
  EXPECT_EQ(nx.answer.status, Status::nxdomain);
  EXPECT_EQ(nx.ttl, 300u) << "MINIMUM is smaller than the SOA's TTL";
  const Reply nodata = read(wire::reply({}, wire::name("missing.example"), type_txt, {},
                                        {{wire::name("example"), type_soa, 120, wire::soa_rdata(300)}}),
                            q);
  EXPECT_EQ(nodata.answer.status, Status::nodata);
  EXPECT_EQ(nodata.ttl, 120u);
  const Reply bare = read(wire::reply({}, wire::name("missing.example"), type_txt, {}), q);
  EXPECT_EQ(bare.answer.status, Status::nodata);
  EXPECT_EQ(bare.ttl, 0u) << "no SOA: not cached";
}

TEST(DnsMessage, rcode_failures_name_the_rcode) {
  const Question q = question("broken.example", RecordType::txt);
  const Reply servfail = read(wire::reply({0x1234, 0x8182}, wire::name("broken.example"), type_txt, {}), q);
  EXPECT_EQ(servfail.answer.status, Status::servfail);
  EXPECT_EQ(servfail.answer.detail, "SERVFAIL");
  EXPECT_FALSE(servfail.formerr);
  // FORMERR without the question, as servers that do not know EDNS0 send it.
  const Bytes formerr = {0x12, 0x34, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
  const Reply reply = read(formerr, q);
  EXPECT_EQ(reply.answer.status, Status::servfail);
  EXPECT_TRUE(reply.formerr);
  // Any other RCODE without the question matches on the ID alone: a blind spoof could.
  const Bytes bare_servfail = {0x12, 0x34, 0x81, 0x82, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(read_reply(bare_servfail, q, 0x1234));
}

TEST(DnsMessage, rfc1034_referral_from_a_server_that_does_not_recurse_is_servfail) {
  const Question q = question("host.example", RecordType::a);
  const Reply reply = read(wire::reply({0x1234, 0x8100}, wire::name("host.example"), type_a, {},
                                       {{wire::name("example"), 2, 3600, wire::name("ns.example")}}),
                           q);
  EXPECT_EQ(reply.answer.status, Status::servfail);
  EXPECT_NE(reply.answer.detail.find("does not resolve recursively"), std::string::npos) << reply.answer.detail;
}

TEST(DnsMessage, cname_chain_in_the_reply_is_followed) {
  const Question q = question("alias.example", RecordType::txt);
  const Bytes message = wire::reply(
      {}, wire::name("alias.example"), type_txt,
      {{wire::pointer(12), type_cname, 100, wire::name("step.example")},
       {wire::name("step.example"), type_cname, 50, wire::name("target.example")},
       {wire::name("target.example"), type_txt, 300, wire::txt_rdata("v=spf1 -all")}});
  const Reply reply = read(message, q);
  ASSERT_EQ(reply.answer.status, Status::answer) << reply.answer.detail;
  EXPECT_EQ(reply.answer.txt, std::vector<std::string>{"v=spf1 -all"});
  EXPECT_EQ(reply.ttl, 50u) << "the chain's smallest TTL";
  EXPECT_TRUE(reply.follow.empty());
}

TEST(DnsMessage, cname_without_its_target_says_what_to_ask_next) {
  const Question q = question("alias.example", RecordType::a);
  const Reply reply =
      read(wire::reply({}, wire::name("alias.example"), type_a, {{wire::pointer(12), type_cname, 100, wire::name("Target.example")}}), q);
  EXPECT_EQ(reply.answer.status, Status::nodata);
  EXPECT_EQ(reply.follow, wire::name("target.example"));
  EXPECT_EQ(reply.ttl, 100u);
}

TEST(DnsMessage, negative_answer_after_a_cname_keeps_the_chain_ttl) {
  const Question q = question("alias.example", RecordType::txt);
  const wire::Rr cname{wire::pointer(12), type_cname, 5, wire::name("gone.example")};
  const wire::Rr soa{wire::name("example"), type_soa, 900, wire::soa_rdata(300)};
  const Reply nx = read(wire::reply({0x1234, 0x8183}, wire::name("alias.example"), type_txt, {cname}, {soa}), q);
  EXPECT_EQ(nx.answer.status, Status::nxdomain);
  EXPECT_EQ(nx.ttl, 5u) << "the CNAME's TTL is the smallest";
  const Reply nodata = read(wire::reply({}, wire::name("alias.example"), type_txt, {cname}, {soa}), q);
  EXPECT_EQ(nodata.answer.status, Status::nodata);
  EXPECT_TRUE(nodata.follow.empty()) << "the SOA proves the target has no TXT: nothing to ask next";
  EXPECT_EQ(nodata.ttl, 5u);
}

TEST(DnsMessage, empty_reply_from_a_server_that_did_not_recurse_is_servfail) {
  const Question q = question("host.example", RecordType::txt);
  const Reply neither = read(wire::reply({0x1234, 0x8100}, wire::name("host.example"), 16, {}), q);
  EXPECT_EQ(neither.answer.status, Status::servfail) << "RA and AA clear";
  EXPECT_NE(neither.answer.detail.find("without recursion"), std::string::npos) << neither.answer.detail;
  const Reply authoritative = read(wire::reply({0x1234, 0x8500}, wire::name("host.example"), 16, {}), q);
  EXPECT_EQ(authoritative.answer.status, Status::nodata) << "AA set: the zone's own server says so";
}

TEST(DnsMessage, rfc6891_extended_rcode_in_opt_is_a_failure) {
  const Question q = question("host.example", RecordType::a);
  const wire::Rr badvers{Bytes{0}, 41, 0x01000000u, {}};  // OPT: extended RCODE 1 -> 16 (BADVERS)
  const Reply reply = read(wire::reply({}, wire::name("host.example"), type_a, {}, {}, {badvers}), q);
  EXPECT_EQ(reply.answer.status, Status::servfail);
  EXPECT_EQ(reply.answer.detail, "extended RCODE 16");
  const wire::Rr plain_opt{Bytes{0}, 41, 0, {}};
  const Reply ok = read(wire::reply({}, wire::name("host.example"), type_a,
                                    {{wire::pointer(12), type_a, 60, {192, 0, 2, 1}}}, {}, {plain_opt}),
                        q);
  EXPECT_EQ(ok.answer.status, Status::answer) << ok.answer.detail;
}

TEST(DnsMessage, cname_loop_is_servfail) {
  const Question q = question("a.example", RecordType::a);
  const Reply reply = read(wire::reply({}, wire::name("a.example"), type_a,
                                       {{wire::name("a.example"), type_cname, 60, wire::name("b.example")},
                                        {wire::name("b.example"), type_cname, 60, wire::name("a.example")}}),
                           q);
  EXPECT_EQ(reply.answer.status, Status::servfail);
  EXPECT_NE(reply.answer.detail.find("CNAME chain"), std::string::npos) << reply.answer.detail;
}

TEST(DnsMessage, ttl_with_the_top_bit_set_is_zero) {
  const Question q = question("host.example", RecordType::a);
  const Reply reply =
      read(wire::reply({}, wire::name("host.example"), type_a, {{wire::pointer(12), type_a, 0x80000010u, {192, 0, 2, 1}}}), q);
  ASSERT_EQ(reply.answer.status, Status::answer);
  EXPECT_EQ(reply.ttl, 0u) << "RFC 2181 8";
}

TEST(DnsMessage, malformed_replies_are_servfail_with_the_reason) {
  const Question q = question("host.example", RecordType::a);
  struct Case {
    const char* rule;
    Bytes message;
    const char* why;
  };
  const Bytes qname = wire::name("host.example");
  std::vector<Case> cases = {
      {"pointer to itself", wire::reply({}, qname, type_a, {{wire::pointer(30), type_a, 60, {192, 0, 2, 1}}}),
       "does not point backwards"},
      {"pointer forward", wire::reply({}, qname, type_a, {{wire::pointer(200), type_a, 60, {192, 0, 2, 1}}}),
       "does not point backwards"},
      {"A rdata of 3 octets", wire::reply({}, qname, type_a, {{wire::pointer(12), type_a, 60, {192, 0, 2}}}),
       "malformed A rdata"},
  };
  // The rdata of a record of unknown type: 200 pointers, each to the one before
  // it, the first to the question's name; a second record is owned by the last.
  Bytes chain;
  constexpr unsigned rdata_at = 12 + 14 + 4 + 12;  // header, question, first record's owner and fields
  wire::append(chain, wire::pointer(12));
  for (unsigned i = 1; i < 200; ++i) wire::append(chain, wire::pointer(rdata_at + 2 * (i - 1)));
  cases.push_back({"pointer chain",
                   wire::reply({}, qname, type_a,
                               {{wire::pointer(12), 99, 60, chain},
                                {wire::pointer(rdata_at + 2 * 199), type_a, 60, {192, 0, 2, 1}}}),
                   "more compression pointers than a name has labels"});
  Bytes lying = wire::reply({}, qname, type_a, {{wire::pointer(12), type_a, 60, {192, 0, 2, 1}}});
  lying[7] = 200;  // ANCOUNT 200, one record present
  cases.push_back({"counts beyond the message", lying, "more records counted"});
  Bytes cut = wire::reply({}, qname, type_a, {{wire::pointer(12), type_a, 60, {192, 0, 2, 1}}});
  cut.resize(cut.size() - 2);
  cases.push_back({"rdata cut short", cut, "runs past the end"});
  for (const Case& c : cases) {
    const Reply reply = read(c.message, q);
    EXPECT_EQ(reply.answer.status, Status::servfail) << c.rule;
    EXPECT_NE(reply.answer.detail.find(c.why), std::string::npos) << c.rule << ": got \"" << reply.answer.detail << "\"";
  }
}

}  // namespace
}  // namespace domainauth::dns
