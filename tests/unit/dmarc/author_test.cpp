// Author Domain extraction (RFC 7489 6.6.1, RFC 9989 5.3.1) over RFC 5322 3.4
// From field values: statuses, the handling RFC 7489 6.6.1 gives each, IDNA.
#include <gtest/gtest.h>

#include "dmarc/author.hpp"

namespace domainauth::dmarc {
namespace {

TEST(DmarcAuthor, Rfc5322_3_4_AddressForms) {
  struct Case {
    const char* value;
    AuthorStatus status;
    std::vector<std::string> domains;
  };
  const std::vector<Case> cases = {
      {"joe@Example.COM", AuthorStatus::single, {"example.com"}},
      {"Joe <joe@example.com>", AuthorStatus::single, {"example.com"}},
      {"\"Joe, Q\" <joe@example.com>", AuthorStatus::single, {"example.com"}},
      {"(comment, with @) joe@example.com (trailing)", AuthorStatus::single, {"example.com"}},
      {"Joe\r\n <joe@example.com.>", AuthorStatus::single, {"example.com"}},
      {"<@relay.example:joe@example.com>", AuthorStatus::single, {"example.com"}},
      {"a@example.com, b@EXAMPLE.com", AuthorStatus::single, {"example.com"}},
      {"a@example.com, b@example.org", AuthorStatus::multiple_domains, {"example.com", "example.org"}},
      {"Team: a@example.com, b@example.net;", AuthorStatus::multiple_domains, {"example.com", "example.net"}},
      {"undisclosed-recipients:;", AuthorStatus::no_domain, {}},
      {"joe@[192.0.2.1]", AuthorStatus::no_domain, {}},
      {"\"quoted local\"@example.com", AuthorStatus::single, {"example.com"}},
      {"joe@bücher.example", AuthorStatus::single, {"xn--bcher-kva.example"}},
      {"", AuthorStatus::malformed, {}},
      {"joe", AuthorStatus::malformed, {}},
      {"joe@", AuthorStatus::malformed, {}},
      {"<joe@example.com", AuthorStatus::malformed, {}},
      {"joe@example.com>", AuthorStatus::malformed, {}},
      {"\"unterminated <joe@example.com>", AuthorStatus::malformed, {}},
      {"(unterminated joe@example.com", AuthorStatus::malformed, {}},
      {"joe@exa mple.com", AuthorStatus::malformed, {}},
      {"joe@-bad..example", AuthorStatus::malformed, {}},
      {"joe@example.com joe@example.org", AuthorStatus::malformed, {}},
  };
  for (const Case& c : cases) {
    Author a = extract_author(std::string_view(c.value));
    EXPECT_EQ(a.status, c.status) << c.value << ": " << a.reason;
    EXPECT_EQ(a.domains, c.domains) << c.value;
    EXPECT_FALSE(a.reason.empty());
  }
}

TEST(DmarcAuthor, Rfc7489_6_6_1_FieldCountAndHandling) {
  std::vector<std::string> none;
  EXPECT_EQ(extract_author(none).status, AuthorStatus::no_from_field);
  EXPECT_EQ(extract_author(none).handling(), FromHandling::reject);

  std::vector<std::string> two{"a@example.com", "a@example.com"};
  EXPECT_EQ(extract_author(two).status, AuthorStatus::multiple_from_fields);
  EXPECT_EQ(extract_author(two).handling(), FromHandling::reject);
  // Their domains are still collected (distinct, field order), so the policies
  // they claim can be found: a second From must not hide a p=reject domain.
  EXPECT_EQ(extract_author(two).domains, std::vector<std::string>{"example.com"});
  std::vector<std::string> forged{"ceo@Bank.Example", "x@other.test, y@bank.example", "Friends: ;"};
  EXPECT_EQ(extract_author(forged).domains, (std::vector<std::string>{"bank.example", "other.test"}));

  std::vector<std::string> group{"Friends: ;"};
  EXPECT_EQ(extract_author(group).handling(), FromHandling::ignore);

  std::vector<std::string> multi{"a@example.com, b@example.org"};
  EXPECT_EQ(extract_author(multi).handling(), FromHandling::evaluate);

  std::vector<std::string> bad{"<<<>"};
  EXPECT_EQ(extract_author(bad).handling(), FromHandling::reject);
}

TEST(DmarcAuthor, LimitsOnUntrustedInput) {
  std::string huge = "a@example.com" + std::string(kMaxFromFieldLength, ' ');
  EXPECT_EQ(extract_author(std::string_view(huge)).status, AuthorStatus::malformed);
  std::string many;
  for (std::size_t i = 0; i <= kMaxAuthorDomains; ++i) many += "a@d" + std::to_string(i) + ".example, ";
  many += "a@last.example";
  EXPECT_EQ(extract_author(std::string_view(many)).status, AuthorStatus::malformed);
  std::string deep(5000, '(');
  EXPECT_EQ(extract_author(std::string_view(deep)).status, AuthorStatus::malformed);
}

}  // namespace
}  // namespace domainauth::dmarc
