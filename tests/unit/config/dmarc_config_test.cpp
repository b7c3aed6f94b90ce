// [dmarc]: the defaults (report only, as OpenDMARC RejectFailures = false),
// every key set, and start-time errors naming file:line:key (bad mode, a
// missing public suffix list, spf_self_validate = false without trusted ids,
// bad domains and texts).
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace domainauth::config {
namespace {

TEST(DmarcConfig, DefaultsReportOnlyTreeWalkSelfValidatedSpf) {
  const auto c = defaults();
  EXPECT_FALSE(c.dmarc.enforce);
  EXPECT_FALSE(c.dmarc.never_reject);
  EXPECT_FALSE(c.dmarc.quarantine_as_header);
  EXPECT_TRUE(c.dmarc.ignore_authenticated_clients);
  EXPECT_TRUE(c.dmarc.exceptions.empty());
  EXPECT_TRUE(c.dmarc.ignore_mail_from.empty());
  EXPECT_EQ(c.dmarc.mode, dmarc::OrgDomainMode::rfc9989_tree_walk);
  EXPECT_EQ(c.dmarc.psl, nullptr);
  EXPECT_TRUE(c.dmarc.spf_self_validate);
  EXPECT_TRUE(c.dmarc.reject_text.empty());
}

TEST(DmarcConfig, EveryKeySet) {
  const auto r = load_string(R"([dmarc]
enforce = true
reject_text = "Go away"
never_reject = true
quarantine_as_header = true
exceptions = ["Partner.Example.", "list.example"]
ignore_authenticated_clients = false
ignore_mail_from = ["Bounce.Example"]
mode = "rfc7489_psl"
spf_self_validate = false
trusted_authserv_ids = ["mx1.example", "mx2.example"]
)",
                             "t.toml");
  ASSERT_TRUE(r.config) << r.errors.at(0);
  const auto& d = r.config->dmarc;
  EXPECT_TRUE(d.enforce);
  EXPECT_EQ(d.reject_text, "Go away");
  EXPECT_TRUE(d.never_reject);
  EXPECT_TRUE(d.quarantine_as_header);
  EXPECT_EQ(d.exceptions, (std::vector<std::string>{"partner.example", "list.example"}));
  EXPECT_FALSE(d.ignore_authenticated_clients);
  EXPECT_EQ(d.ignore_mail_from, std::vector<std::string>{"bounce.example"});
  EXPECT_EQ(d.mode, dmarc::OrgDomainMode::rfc7489_psl);
  ASSERT_NE(d.psl, nullptr);  // the system list
  EXPECT_EQ(d.psl->organizational_domain("a.b.example.co.uk"), "example.co.uk");
  EXPECT_FALSE(d.spf_self_validate);
  EXPECT_EQ(d.trusted_authserv_ids, (std::vector<std::string>{"mx1.example", "mx2.example"}));
}

struct BadCase {
  const char* name;
  const char* text;
  const char* error;  // how the first error starts
};

class DmarcConfigErrors : public testing::TestWithParam<BadCase> {};

TEST_P(DmarcConfigErrors, NameFileLineKey) {
  const auto r = load_string(GetParam().text, "d.toml");
  EXPECT_FALSE(r.config);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors.at(0).substr(0, std::string_view(GetParam().error).size()), GetParam().error) << r.errors.at(0);
}

INSTANTIATE_TEST_SUITE_P(
    Keys, DmarcConfigErrors,
    testing::Values(
        BadCase{"UnknownMode", "[dmarc]\nmode = \"psl\"\n",
                "d.toml:2: dmarc.mode: must be \"rfc9989_tree_walk\" or \"rfc7489_psl\""},
        BadCase{"EnforceNotBool", "[dmarc]\n\nenforce = \"yes\"\n", "d.toml:3: dmarc.enforce: must be a bool"},
        BadCase{"ExceptionNotDomain", "[dmarc]\nexceptions = [\"a@b.example\"]\n",
                "d.toml:2: dmarc.exceptions: \"a@b.example\" is not a domain name"},
        BadCase{"IgnoreMailFromEmpty", "[dmarc]\nignore_mail_from = [\"\"]\n",
                "d.toml:2: dmarc.ignore_mail_from: \"\" is not a domain name"},
        BadCase{"RejectTextTwoLines", "[dmarc]\nreject_text = \"a\\r\\nb\"\n",
                "d.toml:2: dmarc.reject_text: must be one line of printable text"},
        BadCase{"TrustedIdWithSpace", "[dmarc]\ntrusted_authserv_ids = [\"a b\"]\n",
                "d.toml:2: dmarc.trusted_authserv_ids: \"a b\" is not an authserv-id"},
        BadCase{"PslFileMissing", "[dmarc]\nmode = \"rfc7489_psl\"\npsl_file = \"/nonexistent/psl.dat\"\n",
                "d.toml:3: dmarc.psl_file: /nonexistent/psl.dat: "},
        BadCase{"SelfValidateOffWithoutTrustedIds", "[dmarc]\n\nspf_self_validate = false\n",
                "d.toml:3: dmarc.spf_self_validate: false needs dmarc.trusted_authserv_ids (whose SPF result to take)"}),
    [](const testing::TestParamInfo<BadCase>& row) { return std::string(row.param.name); });

}  // namespace
}  // namespace domainauth::config
