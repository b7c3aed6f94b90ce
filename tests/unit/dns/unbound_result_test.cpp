// Unit tests of libunbound result -> Answer (dns::answer_from_result): RFC 2308
// NXDOMAIN vs NODATA, failure RCODEs, RFC 4035 secure / bogus, malformed rdata.
#include <gtest/gtest.h>
#include <unbound.h>

#include <string>
#include <vector>

#include "dns/unbound_resolver.hpp"

namespace domainauth::dns {
namespace {

// A ub_result as libunbound fills it, owning its record storage.
class FakeResult {
 public:
  explicit FakeResult(std::vector<std::string> records = {}) : records_(std::move(records)) {
    for (std::string& record : records_) {
      pointers_.push_back(record.data());
      lengths_.push_back(static_cast<int>(record.size()));
    }
    pointers_.push_back(nullptr);
    result_.data = pointers_.data();
    result_.len = lengths_.data();
    result_.havedata = records_.empty() ? 0 : 1;
  }
  ub_result& get() { return result_; }

 private:
  std::vector<std::string> records_;
  std::vector<char*> pointers_;
  std::vector<int> lengths_;
  ub_result result_{};
};

TEST(AnswerFromResult, records_are_an_answer) {
  FakeResult fake({std::string("\xC0\x00\x02\x01", 4), std::string("\xC0\x00\x02\x02", 4)});
  const Answer a = answer_from_result(fake.get(), RecordType::a);
  EXPECT_EQ(a.status, Status::answer);
  EXPECT_EQ(a.dnssec, Dnssec::insecure);
  ASSERT_EQ(a.addresses.size(), 2u);
  EXPECT_EQ(a.addresses[1].to_string(), "192.0.2.2");
}

TEST(AnswerFromResult, rfc2308_nxdomain_and_nodata_stay_apart) {
  FakeResult nx;
  nx.get().rcode = 3;
  nx.get().nxdomain = 1;
  EXPECT_EQ(answer_from_result(nx.get(), RecordType::txt).status, Status::nxdomain);

  FakeResult nodata;
  EXPECT_EQ(answer_from_result(nodata.get(), RecordType::txt).status, Status::nodata);
}

TEST(AnswerFromResult, failure_rcodes_are_servfail_naming_the_rcode) {
  const std::vector<std::pair<int, const char*>> cases = {
      {2, "SERVFAIL"}, {5, "REFUSED"}, {4, "NOTIMP"}, {1, "FORMERR"}, {9, "RCODE 9"}};
  for (const auto& [rcode, name] : cases) {
    FakeResult fake;
    fake.get().rcode = rcode;
    const Answer a = answer_from_result(fake.get(), RecordType::mx);
    EXPECT_EQ(a.status, Status::servfail) << rcode;
    EXPECT_EQ(a.detail, name);
    EXPECT_TRUE(a.transient());
  }
}

TEST(AnswerFromResult, rfc4035_secure_answer) {
  FakeResult fake({std::string("\x03" "abc", 4)});
  fake.get().secure = 1;
  const Answer a = answer_from_result(fake.get(), RecordType::txt);
  EXPECT_EQ(a.status, Status::answer);
  EXPECT_EQ(a.dnssec, Dnssec::secure);
  EXPECT_EQ(a.txt, std::vector<std::string>{"abc"});
}

TEST(AnswerFromResult, rfc4035_5_5_bogus_is_servfail_with_reason_and_no_records) {
  FakeResult fake({std::string("\x03" "abc", 4)});
  fake.get().bogus = 1;
  std::string why = "signature expired";
  fake.get().why_bogus = why.data();
  const Answer a = answer_from_result(fake.get(), RecordType::txt);
  EXPECT_EQ(a.status, Status::servfail);
  EXPECT_EQ(a.dnssec, Dnssec::bogus);
  EXPECT_EQ(a.detail, "DNSSEC bogus: signature expired");
  EXPECT_TRUE(a.txt.empty());
}

TEST(AnswerFromResult, secure_nxdomain_keeps_its_dnssec_status) {
  FakeResult fake;
  fake.get().nxdomain = 1;
  fake.get().rcode = 3;
  fake.get().secure = 1;
  const Answer a = answer_from_result(fake.get(), RecordType::a);
  EXPECT_EQ(a.status, Status::nxdomain);
  EXPECT_EQ(a.dnssec, Dnssec::secure);
}

TEST(AnswerFromResult, malformed_rdata_is_servfail_and_drops_all_records) {
  FakeResult fake({std::string("\x7F\x00\x00\x01", 4), std::string("\x7F\x00", 2)});
  const Answer a = answer_from_result(fake.get(), RecordType::a);
  EXPECT_EQ(a.status, Status::servfail);
  EXPECT_NE(a.detail.find("malformed A rdata"), std::string::npos) << a.detail;
  EXPECT_TRUE(a.addresses.empty());
}

TEST(AnswerFromResult, havedata_without_data_is_servfail) {
  FakeResult fake;
  fake.get().havedata = 1;
  fake.get().data = nullptr;
  EXPECT_EQ(answer_from_result(fake.get(), RecordType::a).status, Status::servfail);
}

}  // namespace
}  // namespace domainauth::dns
