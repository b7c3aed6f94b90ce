// Unit tests of DKIM canonicalization (RFC 6376 3.4) and body hashing (3.7, l=).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <iterator>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "mail/body_hash.hpp"
#include "mail/body_scan.hpp"
#include "mail/canonicalize.hpp"

namespace domainauth::mail {
namespace {

struct StringSink : ByteSink {
  std::string out;
  void write(std::string_view b) override { out.append(b); }
};

std::string canon_body(std::string_view body, Canonicalization c, std::size_t chunk = 0,
                       std::size_t buffer = BodyCanonicalizer::kBuffer) {
  StringSink sink;
  BodyCanonicalizer canon(c, sink, buffer);
  if (chunk == 0) chunk = body.size() + 1;
  for (std::size_t i = 0; i < body.size(); i += chunk) canon.feed(body.substr(i, chunk));
  canon.finish();
  return sink.out;
}

std::string b64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string body_hash(std::string_view body, Canonicalization c, std::optional<std::uint64_t> l = {},
                      std::size_t chunk = 0) {
  BodyHasher h(c, DigestAlgorithm::sha256, l);
  if (chunk == 0) chunk = body.size() + 1;
  for (std::size_t i = 0; i < body.size(); i += chunk) h.feed(body.substr(i, chunk));
  return b64(h.finish());
}

// RFC 6376 3.4.5, as in testsuites/dkim-rfc/rfc6376/canonicalization-examples.yml.
TEST(Canonicalize, Rfc6376_3_4_5_Examples) {
  HeaderField a{"A", "A: X"};
  HeaderField b{"B", "B : Y\t\r\n\tZ  "};
  EXPECT_EQ(canonicalize_header(a, Canonicalization::relaxed) + canonicalize_header(b, Canonicalization::relaxed),
            "a:X\r\nb:Y Z\r\n");
  EXPECT_EQ(canonicalize_header(a, Canonicalization::simple) + canonicalize_header(b, Canonicalization::simple),
            "A: X\r\nB : Y\t\r\n\tZ  \r\n");
  const std::string body = " C \r\nD \t E\r\n\r\n\r\n";
  EXPECT_EQ(canon_body(body, Canonicalization::relaxed), " C\r\nD E\r\n");
  EXPECT_EQ(canon_body(body, Canonicalization::simple), " C \r\nD \t E\r\n");
}

TEST(Canonicalize, Rfc6376_3_4_2_ColonInsideValueKeepsSpace) {
  HeaderField f{"Subject", "Subject:  re: a \t b  "};
  EXPECT_EQ(canonicalize_header(f, Canonicalization::relaxed), "subject:re: a b\r\n");
}

TEST(Canonicalize, Rfc6376_3_4_3_EmptyBodySimpleIsCrlf) {
  EXPECT_EQ(canon_body("", Canonicalization::simple), "\r\n");
  EXPECT_EQ(canon_body("\r\n\r\n", Canonicalization::simple), "\r\n");
  EXPECT_EQ(body_hash("", Canonicalization::simple), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
}

TEST(Canonicalize, Rfc6376_3_4_4_EmptyBodyRelaxedIsEmpty) {
  EXPECT_EQ(canon_body("", Canonicalization::relaxed), "");
  EXPECT_EQ(canon_body(" \r\n\t\r\n", Canonicalization::relaxed), "");
  EXPECT_EQ(body_hash("", Canonicalization::relaxed), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(Canonicalize, MissingFinalCrlfAdded) {
  EXPECT_EQ(canon_body("abc", Canonicalization::simple), "abc\r\n");
  EXPECT_EQ(canon_body("abc  ", Canonicalization::relaxed), "abc\r\n");
}

TEST(Canonicalize, LfInputEqualsCrlfInput) {
  for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
    EXPECT_EQ(canon_body("a b\n\nc\n\n\n", c), canon_body("a b\r\n\r\nc\r\n\r\n\r\n", c));
  }
}

TEST(Canonicalize, BareCrIsContent) {
  EXPECT_EQ(canon_body("a\rb\r\n", Canonicalization::simple), "a\rb\r\n");
  EXPECT_EQ(canon_body("a\r", Canonicalization::relaxed), "a\r\r\n");
}

TEST(Canonicalize, EightBitBytesPassThrough) {
  EXPECT_EQ(canon_body("caf\xc3\xa9  \xff\r\n", Canonicalization::relaxed), "caf\xc3\xa9 \xff\r\n");
}

TEST(Canonicalize, Rfc6376_3_4_5_RfcExampleBodyHashes) {
  const std::string body =
      "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";
  EXPECT_EQ(body_hash(body, Canonicalization::simple), "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
  EXPECT_EQ(body_hash(body, Canonicalization::relaxed), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
}

TEST(Canonicalize, Rfc6376_3_5_LengthLimitHashesPrefixAndCountsAll) {
  BodyHasher h(Canonicalization::simple, DigestAlgorithm::sha256, 5);
  h.feed("hello world\r\n");
  std::string got = h.finish();
  EXPECT_EQ(got, digest(DigestAlgorithm::sha256, "hello"));
  EXPECT_EQ(h.canonical_length(), 13u);
  EXPECT_EQ(body_hash("hello\r\n", Canonicalization::simple, 0), b64(digest(DigestAlgorithm::sha256, "")));
}

// Property: for random bodies, every chunk size gives the same canonical output
// and the same hash as feeding the body whole.
TEST(Canonicalize, EveryChunkingGivesTheSameHash) {
  std::mt19937 rng(6376);
  const char alphabet[] = {'a', 'b', ' ', '\t', '\r', '\n', '\n', '\xe9', 'x'};
  for (int round = 0; round < 60; ++round) {
    std::string body;
    std::size_t len = rng() % 120;
    for (std::size_t i = 0; i < len; ++i) body.push_back(alphabet[rng() % sizeof alphabet]);
    for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
      std::string want = canon_body(body, c);
      std::string want_hash = body_hash(body, c);
      for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
        ASSERT_EQ(canon_body(body, c, chunk), want) << "round " << round << " chunk " << chunk;
        ASSERT_EQ(body_hash(body, c, {}, chunk), want_hash);
      }
      // Irregular chunk boundaries too.
      StringSink sink;
      BodyCanonicalizer canon(c, sink);
      for (std::size_t i = 0; i < body.size();) {
        std::size_t n = 1 + rng() % 7;
        canon.feed(std::string_view(body).substr(i, n));
        i += n;
      }
      canon.finish();
      ASSERT_EQ(sink.out, want);
    }
  }
}

// A line-by-line model of RFC 6376 3.4.3 / 3.4.4: lines end in CRLF or bare LF
// (a bare CR is content); relaxed collapses WSP runs to one SP and drops WSP at
// line ends; empty lines at the end go; an empty body is CRLF in simple.
std::string reference_body(std::string_view body, Canonicalization c) {
  std::vector<std::string> lines;
  std::string line;
  for (char ch : body) {
    if (ch != '\n') {
      line.push_back(ch);
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::exchange(line, {}));
  }
  if (!line.empty()) lines.push_back(line);
  if (c == Canonicalization::relaxed) {
    for (auto& l : lines) {
      std::string out;
      for (std::size_t i = 0; i < l.size(); ++i) {
        bool wsp = l[i] == ' ' || l[i] == '\t';
        if (!wsp) out.push_back(l[i]);
        else if (i + 1 < l.size() && l[i + 1] != ' ' && l[i + 1] != '\t') out.push_back(' ');
      }
      while (!out.empty() && out.back() == ' ') out.pop_back();
      l = out;
    }
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const auto& l : lines) out += l + "\r\n";
  if (out.empty() && c == Canonicalization::simple) out = "\r\n";
  return out;
}

// Property: long random bodies (runs longer than the 16-octet scan blocks,
// WSP runs, blank lines, bare CR and LF) canonicalize as the line model says,
// whole and in random chunks.
TEST(Canonicalize, Rfc6376_3_4_3_And_3_4_4_MatchALineByLineModel) {
  std::mt19937 rng(3443);
  const char* const pieces[] = {"word", "a", " ", "  ", "\t", " \t ", "\r\n", "\r\n", "\n", "\r",
                                "\xe9", "abcdefghijklmnopqrstuvwxyz0123456789", "\r\n\r\n"};
  for (int round = 0; round < 400; ++round) {
    std::string body;
    std::size_t parts = rng() % 150;
    for (std::size_t i = 0; i < parts; ++i) body += pieces[rng() % std::size(pieces)];
    for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
      std::string want = reference_body(body, c);
      ASSERT_EQ(canon_body(body, c), want) << "round " << round;
      StringSink sink;
      BodyCanonicalizer canon(c, sink);
      for (std::size_t i = 0; i < body.size();) {
        std::size_t n = 1 + rng() % 40;
        canon.feed(std::string_view(body).substr(i, n));
        i += n;
      }
      canon.finish();
      ASSERT_EQ(sink.out, want) << "round " << round << " (chunked)";
    }
  }
}

// The vector scan copies runs of 16 octets and handles WSP runs and empty lines
// inside them itself: each case is long enough to reach it, and is cut at every
// position as well (a WSP run, a CRLF, a lone CR split between chunks).
TEST(Canonicalize, Rfc6376_3_4_4_ScanEdgeCasesAtEveryChunkBoundary) {
  const std::string words = "0123456789abcdefghijklmnopqrstuvwxyz";  // longer than a scan block
  struct Case {
    const char* name;
    std::string body;
    std::string relaxed;
  };
  const Case cases[] = {
      {"TAB run inside a line", words + "\t\t\t" + words + "\r\n", words + " " + words + "\r\n"},
      {"SP TAB SP run", words + " \t " + words + "\r\n", words + " " + words + "\r\n"},
      {"WSP run longer than a block", words + std::string(40, ' ') + words + "\r\n", words + " " + words + "\r\n"},
      {"trailing WSP before CRLF", words + " \t \r\n" + words + "\r\n", words + "\r\n" + words + "\r\n"},
      {"trailing WSP before bare LF", words + "  \n" + words + "\n", words + "\r\n" + words + "\r\n"},
      {"WSP before a lone CR", words + "  \r" + words + "\r\n", words + " \r" + words + "\r\n"},
      {"lone CR then WSP", words + "\r  " + words + "\r\n", words + "\r " + words + "\r\n"},
      {"lone CR at the end", words + "\r", words + "\r\r\n"},
      {"CR CR LF", words + "\r\r\n" + words + "\r\n", words + "\r\r\n" + words + "\r\n"},
      {"empty lines inside", words + "\r\n\r\n\r\n" + words + "\r\n", words + "\r\n\r\n\r\n" + words + "\r\n"},
      {"WSP-only lines inside", words + "\r\n \t\r\n" + words + "\r\n", words + "\r\n\r\n" + words + "\r\n"},
      {"trailing empty and WSP lines", words + "\r\n\r\n  \r\n\t\r\n", words + "\r\n"},
      {"line starting with WSP", words + "\r\n   " + words + "\r\n", words + "\r\n " + words + "\r\n"},
      {"SP before a control octet", words + " \x01" + words + "\r\n", words + " \x01" + words + "\r\n"},
      {"SP before 8-bit", words + " \xe9" + words + "\r\n", words + " \xe9" + words + "\r\n"},
  };
  for (const auto& tc : cases) {
    ASSERT_EQ(reference_body(tc.body, Canonicalization::relaxed), tc.relaxed) << tc.name << " (model)";
    for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
      const std::string want = reference_body(tc.body, c);
      EXPECT_EQ(canon_body(tc.body, c), want) << tc.name;
      for (std::size_t cut = 1; cut < tc.body.size(); ++cut) {
        StringSink sink;
        BodyCanonicalizer canon(c, sink);
        canon.feed(std::string_view(tc.body).substr(0, cut));
        canon.feed(std::string_view(tc.body).substr(cut));
        canon.finish();
        ASSERT_EQ(sink.out, want) << tc.name << ", cut at " << cut << (c == Canonicalization::simple ? " (simple)" : "");
      }
    }
  }
}

// Bodies of `rounds` random sequences of pieces, each canonicalized in every
// chunk size (0: whole) and compared with the line model.
void expect_random_bodies_match_the_line_model(unsigned seed, std::span<const char* const> pieces, int rounds,
                                               std::initializer_list<std::size_t> chunks,
                                               std::size_t buffer = BodyCanonicalizer::kBuffer) {
  std::mt19937 rng(seed);
  for (int round = 0; round < rounds; ++round) {
    std::string body;
    std::size_t parts = rng() % 400;
    for (std::size_t i = 0; i < parts; ++i) body += pieces[rng() % pieces.size()];
    for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
      const std::string want = reference_body(body, c);
      for (std::size_t chunk : chunks) {
        ASSERT_EQ(canon_body(body, c, chunk, buffer), want) << "round " << round << " chunk " << chunk;
      }
    }
  }
}

// Property: long random bodies fed in chunks big enough for the vector scan.
// Short pieces put several WSP runs and line ends in one block (the AVX2 and
// AVX-512 scans compact them inside the block).
TEST(Canonicalize, Rfc6376_3_4_3_And_3_4_4_LargeChunksMatchTheLineModel) {
  const char* const pieces[] = {"word", "0123456789abcdefghijklmnopqrstuvwxyz", " ", "  ", "\t", " \t ",
                                "\r\n", "\r\n", "\r\n\r\n", "\n", "\r", "\xe9", "\r\n \r\n", "a", "b c"};
  expect_random_bodies_match_the_line_model(4434, pieces, 1000, {17, 33, 100, 1000});
}

// The canonicalizer uses the best vector scan the CPU has: every build must
// give the same output (the line model, chunked and whole). A build the CPU
// lacks is skipped.
class ScanBuild : public testing::TestWithParam<scan::Build> {
 protected:
  void SetUp() override {
    if (!scan::have(GetParam())) GTEST_SKIP() << "this CPU lacks the build";
    scan::limit_build(GetParam());
  }
  void TearDown() override { scan::limit_build(scan::Build::avx512); }
};

TEST_P(ScanBuild, MatchesTheLineModel) {
  const char* const pieces[] = {"word", "0123456789abcdefghijklmnopqrstuvwxyz", " ", "  ", "\t", " \t ",
                                "\r\n", "\r\n\r\n", "\n", "\r", "\xe9", "\r\n \r\n", " \x01"};
  expect_random_bodies_match_the_line_model(2024, pieces, 300, {0, 17, 40, 1000});
}

// Long WSP runs, long runs of empty lines and blocks of nothing but WSP or
// line ends: the 64-octet block sees runs reaching both its ends.
TEST_P(ScanBuild, LongRunsMatchTheLineModel) {
  const std::string wsp64(64, ' '), tabs70(70, '\t'), crlf40 = [] {
    std::string s;
    for (int i = 0; i < 40; ++i) s += "\r\n";
    return s;
  }();
  const char* const pieces[] = {"word", "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
                                wsp64.c_str(), tabs70.c_str(), crlf40.c_str(), " ", "\r\n", "\r\n\r\n", "x"};
  expect_random_bodies_match_the_line_model(6376, pieces, 200, {0, 63, 64, 65, 129});
}

// Small output buffers: the scan fills one in the middle of a block, a WSP
// run, an empty line or a CRLF again and again.
TEST_P(ScanBuild, SmallBuffersMatchTheLineModel) {
  const char* const pieces[] = {"word", "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
                                " ", "  ", "\t", "\r\n", "\r\n\r\n", "\n", "\r", "\r\n \r\n"};
  for (std::size_t buffer : {2, 3, 65, 100, 257}) {
    expect_random_bodies_match_the_line_model(static_cast<unsigned>(buffer), pieces, 60, {0, 70, 300}, buffer);
  }
}

// Bodies that once went wrong, or whose cases the random ones rarely reach.
TEST_P(ScanBuild, HardCasesMatchTheLineModel) {
  std::string short_lines;  // the buffer fills right after a CR, with too little left for another block
  for (int i = 0; i < 2731; ++i) short_lines += "aaaa\r\n";
  const std::string a62(62, 'a'), a60(60, 'a'), h44(44, 'h'), r70(70, 'r');
  const std::string bodies[] = {
      short_lines,
      std::string(16384, 'a') + "\r\n",
      std::string(16384, 'a') + "\r \n" + std::string(100, 'b') + "\r\n",
      // A WSP-only line after a line ending exactly at a block's end, then an empty line: all trailing.
      "x" + a62 + "\r\n" + std::string(62, ' ') + "\r\n\r\n",
      // Empty lines whose CR is at the block's bit 62: the line after them is past the block.
      "x" + a60 + "\r\n\r\n\r\n",
      // A trailing run and a run reaching the end of the block (content after it) in one block.
      "xab  \r\ncd e\t\tf  \r\ng" + h44 + "  Z" + r70 + "\r\n",
  };
  for (const auto& body : bodies) {
    for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
      const std::string want = reference_body(body, c);
      ASSERT_EQ(canon_body(body, c), want) << body.size() << " octets";
      for (std::size_t cut : {std::size_t{64}, std::size_t{65}, std::size_t{16385}, body.size() / 2}) {
        if (cut >= body.size()) continue;
        StringSink sink;
        BodyCanonicalizer canon(c, sink);
        canon.feed(std::string_view(body).substr(0, cut));
        canon.feed(std::string_view(body).substr(cut));
        canon.finish();
        ASSERT_EQ(sink.out, want) << body.size() << " octets, cut at " << cut;
      }
    }
  }
  EXPECT_EQ(canon_body("x" + a62 + "\r\n" + std::string(62, ' ') + "\r\n\r\n", Canonicalization::relaxed),
            "x" + a62 + "\r\n");
  EXPECT_EQ(canon_body("x" + a60 + "\r\n\r\n\r\n", Canonicalization::relaxed), "x" + a60 + "\r\n");
  EXPECT_EQ(canon_body("xab  \r\ncd e\t\tf  \r\ng" + h44 + "  Z" + r70 + "\r\n", Canonicalization::relaxed),
            "xab\r\ncd e f\r\ng" + h44 + " Z" + r70 + "\r\n");
}

INSTANTIATE_TEST_SUITE_P(Canonicalize, ScanBuild,
                         testing::Values(scan::Build::sse2, scan::Build::avx2, scan::Build::avx512),
                         [](const testing::TestParamInfo<scan::Build>& param) {
                           switch (param.param) {
                             case scan::Build::sse2:
                               return std::string("Sse2");
                             case scan::Build::avx2:
                               return std::string("Avx2");
                             case scan::Build::avx512:
                               return std::string("Avx512");
                           }
                           return std::string("Unknown");
                         });

TEST(Canonicalize, LargeBodyCrossesBuffer) {
  std::string line(1000, 'x');
  std::string body;
  for (int i = 0; i < 100; ++i) body += line + "\r\n";
  EXPECT_EQ(canon_body(body, Canonicalization::simple), body);
  EXPECT_EQ(canon_body(body, Canonicalization::relaxed, 333), body);
  // Relaxed output shorter than the input, across several output buffers.
  std::string spaced;
  for (int i = 0; i < 2000; ++i) spaced += "a  b\t\tc   d \r\n\r\n";
  std::string want;
  for (int i = 0; i < 2000; ++i) want += i + 1 < 2000 ? "a b c d\r\n\r\n" : "a b c d\r\n";
  EXPECT_EQ(canon_body(spaced, Canonicalization::relaxed), want);
  EXPECT_EQ(canon_body(spaced, Canonicalization::relaxed, 65535), want);
}

}  // namespace
}  // namespace domainauth::mail
