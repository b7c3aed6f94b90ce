// Bounded gzip and zip reading (report/unpack.hpp): what reporters send comes
// out whole; bombs, damage and encryption are refused with a reason.
#include <gtest/gtest.h>

#include "report/file.hpp"
#include "report/unpack.hpp"
#include "support/zip_writer.hpp"

namespace domainauth::report {
namespace {

using domainauth::testing::zip;

const std::string kXml = "<feedback><report_metadata/></feedback>";

TEST(Unpack, PackingIsToldByContent) {
  EXPECT_EQ(packing_of(gzip(kXml)), Packing::gzip);
  EXPECT_EQ(packing_of(zip({{"a.xml", kXml}})), Packing::zip);
  EXPECT_EQ(packing_of(kXml), Packing::none);
  EXPECT_EQ(packing_of(""), Packing::none);
}

TEST(Unpack, GzipRoundTrip) {
  const auto out = gunzip(gzip(kXml));
  ASSERT_EQ(out.error, "");
  ASSERT_EQ(out.files.size(), 1U);
  EXPECT_EQ(out.files[0].data, kXml);
}

TEST(Unpack, GzipBombIsRefusedByRatioAndBySize) {
  const std::string zeros(50 * 1024 * 1024, '\0');
  const auto bomb = gzip(zeros);  // ~50 KiB: a ratio of 1000
  const auto out = gunzip(bomb);
  EXPECT_TRUE(out.files.empty());
  EXPECT_NE(out.error.find("compression bomb"), std::string::npos) << out.error;
  UnpackLimits small;
  small.max_output = 1000;
  small.max_ratio = 1000000;
  EXPECT_NE(gunzip(gzip(std::string(2000, 'a')), small).error.find("more than 1000"), std::string::npos);
}

TEST(Unpack, DamagedGzipIsRefused) {
  auto data = gzip(kXml);
  EXPECT_NE(gunzip(data.substr(0, data.size() / 2)).error, "") << "truncated";
  data[data.size() - 6] ^= 0x55;  // the CRC-32 of the trailer
  EXPECT_NE(gunzip(data).error, "");
}

TEST(Unpack, ZipStoredAndDeflatedXmlMembersOnly) {
  const auto out = unzip(zip({{"readme.txt", "hello"}, {"a.xml", kXml, false}, {"B.XML", kXml + " ", true}}));
  ASSERT_EQ(out.error, "");
  ASSERT_EQ(out.files.size(), 2U);
  EXPECT_EQ(out.files[0].name, "a.xml");
  EXPECT_EQ(out.files[0].data, kXml);
  EXPECT_EQ(out.files[1].data, kXml + " ");
}

TEST(Unpack, ZipRefusals) {
  struct Case {
    const char* name;
    std::string data;
    const char* error;
  } cases[] = {
      {"no xml member", zip({{"a.txt", "x"}}), "no .xml member"},
      {"not a zip", "PK\x03\x04 and nothing", "no end of central directory"},
      {"size lies (bomb claim)", zip({{"a.xml", std::string(100000, 'a'), true, 100}}), "more than 100 octets"},
      {"size lies (short)", zip({{"a.xml", kXml, false, 5}}), "size or CRC-32"},
      {"huge claimed size", zip({{"a.xml", kXml, true, 2000000000}}), "too big"},
  };
  for (const auto& c : cases) {
    const auto out = unzip(c.data);
    EXPECT_TRUE(out.files.empty()) << c.name;
    EXPECT_NE(out.error.find(c.error), std::string::npos) << c.name << ": " << out.error;
  }
  auto encrypted = zip({{"a.xml", kXml}});
  encrypted[encrypted.find(std::string("PK\x01\x02", 4)) + 8] = 1;  // general purpose flag bit 0
  EXPECT_NE(unzip(encrypted).error.find("encrypted"), std::string::npos);
  auto truncated = zip({{"a.xml", kXml}});
  EXPECT_NE(unzip(truncated.substr(0, truncated.size() - 30)).error, "");
}

TEST(Unpack, ZipBombIsRefused) {
  const std::string zeros(30 * 1024 * 1024, 'a');
  const auto out = unzip(zip({{"bomb.xml", zeros}}));
  EXPECT_TRUE(out.files.empty());
  EXPECT_NE(out.error.find("compression bomb"), std::string::npos) << out.error;
}

}  // namespace
}  // namespace domainauth::report
