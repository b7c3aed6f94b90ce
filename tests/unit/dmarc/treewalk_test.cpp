// RFC 9989 4.10 DNS Tree Walk as pure functions: the names queried (the
// 8-query limit and the shortening rule) and Organizational Domain selection
// (4.10.2 rules 1-3), with the RFC's own examples.
#include <gtest/gtest.h>

#include "dmarc/dmarc.hpp"

namespace domainauth::dmarc {
namespace {

using Names = std::vector<std::string>;

TEST(DmarcTreeWalk, Rfc9989_4_10_NamesQueried) {
  EXPECT_EQ(tree_walk_names("a.mail.example.com"), (Names{"a.mail.example.com", "mail.example.com", "example.com", "com"}));
  EXPECT_EQ(tree_walk_names("Example.COM."), (Names{"example.com", "com"}));
  EXPECT_EQ(tree_walk_names("com"), (Names{"com"}));
  EXPECT_EQ(tree_walk_names(""), Names{});
  // The RFC's example: 13 labels -> 8 queries, jumping to 7 labels.
  EXPECT_EQ(tree_walk_names("a.b.c.d.e.f.g.h.i.j.mail.example.com"),
            (Names{"a.b.c.d.e.f.g.h.i.j.mail.example.com", "g.h.i.j.mail.example.com", "h.i.j.mail.example.com",
                   "i.j.mail.example.com", "j.mail.example.com", "mail.example.com", "example.com", "com"}));
}

TEST(DmarcTreeWalk, Rfc9989_4_10_AtMostEightQueriesWhateverTheDepth) {
  for (int labels = 1; labels <= 40; ++labels) {
    std::string name = "com";
    for (int i = 1; i < labels; ++i) name = "l" + std::to_string(i) + "." + name;
    Names names = tree_walk_names(name);
    EXPECT_EQ(names.size(), static_cast<std::size_t>(std::min(labels, 8))) << name;
    EXPECT_EQ(names.back(), "com");
    if (labels >= 8) {
      EXPECT_EQ(std::count(names[1].begin(), names[1].end(), '.'), 6) << name;  // 7 labels
    }
  }
}

FoundRecord found(std::string domain, PsdFlag psd = PsdFlag::unknown) {
  Record r;
  r.psd = psd;
  return {std::move(domain), r};
}

TEST(DmarcTreeWalk, Rfc9989_4_10_2_OrganizationalDomainSelection) {
  // Rule 3: the fewest labels (the RFC's first example).
  EXPECT_EQ(select_organizational_domain("a.mail.example.com", {found("mail.example.com"), found("example.com")}),
            "example.com");
  // Rule 1: psd=n (second example).
  EXPECT_EQ(select_organizational_domain("a.mail.example.com", {found("mail.example.com", PsdFlag::no)}),
            "mail.example.com");
  // Rule 2: psd=y at com -> one label below (third example).
  EXPECT_EQ(select_organizational_domain("a.mail.example.com", {found("com", PsdFlag::yes)}), "example.com");
  // B.4.3: psd=y at bank.example.
  EXPECT_EQ(select_organizational_domain("mail.mega.bank.example", {found("bank.example", PsdFlag::yes)}),
            "mega.bank.example");
  EXPECT_EQ(select_organizational_domain("giant.bank.example",
                                         {found("giant.bank.example"), found("bank.example", PsdFlag::yes)}),
            "giant.bank.example");
  // psd=y on the starting domain itself is not rule 2.
  EXPECT_EQ(select_organizational_domain("bank.example", {found("bank.example", PsdFlag::yes)}), "bank.example");
  // Nothing found: the starting domain.
  EXPECT_EQ(select_organizational_domain("Mail.Example.com", {}), "mail.example.com");
}

TEST(DmarcAlignment, Rfc7489_3_1_StrictAndRelaxed) {
  struct Case {
    AlignmentMode mode;
    const char *author, *id, *author_org, *id_org;
    bool aligned;
  };
  const Case cases[] = {
      {AlignmentMode::relaxed, "news.example.com", "foo.example.com", "example.com", "example.com", true},
      {AlignmentMode::strict, "news.example.com", "foo.example.com", "example.com", "example.com", false},
      {AlignmentMode::strict, "news.example.com", "NEWS.example.com.", "example.com", "example.com", true},
      {AlignmentMode::relaxed, "news.example.com", "foo.example.net", "example.com", "example.net", false},
      {AlignmentMode::relaxed, "example.com", "", "example.com", "", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(is_aligned(c.mode, c.author, c.id, c.author_org, c.id_org), c.aligned) << c.author << " " << c.id;
  }
}

}  // namespace
}  // namespace domainauth::dmarc
