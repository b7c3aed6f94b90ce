// Runs the 78 checks of the publicsuffix.org test list (shared/testsuites/psl/
// tests.txt: "<input> <expected>", "null" for none, "//" comments) through
// dmarc::PublicSuffixList::organizational_domain() with the list shipped beside
// them. Prints "N passed, N failed" and fails on any failure.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "dmarc/psl.hpp"

namespace domainauth::dmarc {
namespace {

const std::string kSuite = std::string(DOMAINAUTH_TESTSUITES) + "/psl/";

TEST(PslConformance, PublicSuffixListTests) {
  std::string why;
  auto psl = PublicSuffixList::load(kSuite + "public_suffix_list.dat", why);
  ASSERT_TRUE(psl) << why;
  std::ifstream in(kSuite + "tests.txt");
  ASSERT_TRUE(in) << kSuite << "tests.txt";
  int passed = 0, failed = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.rfind("//", 0) == 0) continue;
    std::istringstream fields(line);
    std::string input, expected;
    fields >> input >> expected;
    ASSERT_FALSE(expected.empty()) << "unreadable line: " << line;
    // A null input has no organizational domain; the API takes a string, so
    // "null" stands for the absent value, as in the suite.
    std::optional<std::string> got;
    if (input != "null") got = psl->organizational_domain(input);
    std::string shown = got.value_or("null");
    bool ok = shown == expected;
    EXPECT_TRUE(ok) << input << ": got " << shown << ", want " << expected;
    (ok ? passed : failed)++;
  }
  std::cout << "psl/tests.txt\n" << passed << " passed, " << failed << " failed" << std::endl;
  EXPECT_EQ(passed, 78);
}

TEST(PslConformance, MissingListIsAnError) {
  std::string why;
  EXPECT_FALSE(PublicSuffixList::load("/nonexistent/public_suffix_list.dat", why));
  EXPECT_NE(why.find("/nonexistent/"), std::string::npos);
}

}  // namespace
}  // namespace domainauth::dmarc
