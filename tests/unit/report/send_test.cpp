// The aggregate report mail (RFC 9990 3.5: Subject, file name, media type)
// and its sending once per destination and period (sent_reports), with the
// !size limit (RFC 7489 7.2.1.1), against a scripted loopback relay.
#include "report/send.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "dkim/crypto.hpp"
#include "fake_relay.hpp"
#include "support/temp_db.hpp"

namespace domainauth::report {
namespace {

AggregateMail sample_mail() {
  AggregateMail mail;
  mail.from = "dmarc-reports@mx.example.net";
  mail.to = {"a@example.com", "b@example.com"};
  mail.policy_domain = "example.com";
  mail.submitter = "mx.example.net";
  mail.report_id = "example.com.1790035200.42";
  mail.file_name = "mx.example.net!example.com!1790035200!1790121599.xml.gz";
  mail.gzipped = std::string(3000, '\x8b');
  mail.begin = 1790035200;
  mail.end = 1790121600;
  mail.date = 1790125200;
  mail.host = "mx.example.net";
  return mail;
}

TEST(AggregateMail, Rfc9990SubjectNamesDomainSubmitterAndReportId) {
  const auto subject = aggregate_subject(sample_mail());
  EXPECT_EQ(subject,
            "Report Domain: example.com\r\n Submitter: mx.example.net\r\n Report-ID: <example.com.1790035200.42>");
}

TEST(AggregateMail, Rfc9990GzipAttachmentWithTheReportFileName) {
  const auto mail = sample_mail();
  const auto m = aggregate_message(mail);
  const auto header_end = m.find("\r\n\r\n");
  ASSERT_NE(header_end, std::string::npos);
  const auto header = m.substr(0, header_end + 2);
  EXPECT_NE(header.find("From: dmarc-reports@mx.example.net\r\n"), std::string::npos);
  EXPECT_NE(header.find("To: a@example.com,\r\n b@example.com\r\n"), std::string::npos);
  EXPECT_NE(header.find("Date: Wed, 23 Sep 2026 01:00:00 +0000\r\n"), std::string::npos) << header;
  EXPECT_TRUE(std::regex_search(header, std::regex("Message-ID: <[^>]+@mx\\.example\\.net>\r\n")));
  EXPECT_NE(header.find("MIME-Version: 1.0\r\n"), std::string::npos);
  std::smatch boundary;
  ASSERT_TRUE(std::regex_search(header, boundary, std::regex("boundary=\"([^\"]+)\"")));
  const std::string separator = "--" + boundary[1].str();
  const auto attachment = m.find(separator + "\r\nContent-Type: application/gzip;\r\n name=\"" + mail.file_name + "\"");
  ASSERT_NE(attachment, std::string::npos);
  EXPECT_NE(m.find("Content-Disposition: attachment;\r\n filename=\"" + mail.file_name + "\"", attachment),
            std::string::npos);
  const auto body = m.find("\r\n\r\n", attachment) + 4;
  const auto close = m.find(separator + "--\r\n", body);
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(dkim::base64_decode(m.substr(body, close - body)), mail.gzipped);
  for (std::size_t at = 0, next = 0; at < m.size(); at = next + 2) {
    next = m.find("\r\n", at);
    ASSERT_NE(next, std::string::npos);
    EXPECT_LE(next - at, 78u);  // RFC 5322 2.1.1
  }
}

class SendAggregate : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    db_ = store::open_sqlite(path_, why);
    ASSERT_TRUE(db_) << why;
    ASSERT_EQ(store::migrate(*db_), std::nullopt);
  }
  // Runs send_aggregate against a relay serving `sessions` SMTP sessions.
  SendOutcome send(const std::vector<MailDestination>& destinations, int sessions, bool force = false,
                   const std::string& rejected = "nobody@") {
    testing::Listener relay;
    std::thread server([&] {
      for (int i = 0; i < sessions; ++i) testing::serve(relay.fd, rejected, received_);
    });
    auto outcome = send_aggregate(*db_, Relay{"127.0.0.1", relay.port, std::chrono::seconds{5}}, sample_mail(),
                                  destinations, force);
    server.join();
    return outcome;
  }
  store::testing::TempDb path_{"send"};
  std::unique_ptr<store::Database> db_;
  std::string received_;
  const MailDestination a_{"mailto:a@example.com", "a@example.com", "example.com", std::nullopt};
  const MailDestination b_{"mailto:b@example.com", "b@example.com", "example.com", std::nullopt};
};

TEST_F(SendAggregate, Rfc9990SecondRunOfAPeriodSendsNothing) {
  const auto first = send({a_, b_}, 2);
  EXPECT_EQ(first.sent, 2);
  EXPECT_EQ(first.failed, 0);
  EXPECT_NE(received_.find("Subject: Report Domain: example.com"), std::string::npos);
  received_.clear();
  const auto second = send({a_, b_}, 0);
  EXPECT_EQ(second.sent, 0);
  EXPECT_EQ(second.already, 2);
  EXPECT_TRUE(received_.empty());
}

TEST_F(SendAggregate, ForceSendsAgain) {
  EXPECT_EQ(send({a_}, 1).sent, 1);
  const auto forced = send({a_}, 1, true);
  EXPECT_EQ(forced.sent, 1);
  EXPECT_EQ(forced.already, 0);
}

TEST_F(SendAggregate, ARefusedDestinationIsTriedAgainNextRun) {
  const auto first = send({a_, b_}, 2, false, "b@example.com");
  EXPECT_EQ(first.sent, 1);
  EXPECT_EQ(first.failed, 1);
  const auto second = send({a_, b_}, 1);
  EXPECT_EQ(second.sent, 1);
  EXPECT_EQ(second.already, 1);
  EXPECT_EQ(second.failed, 0);
}

TEST_F(SendAggregate, RelayDownFailsEveryDestinationAndRecordsNothing) {
  std::uint16_t port = 0;
  {
    testing::Listener closed;
    port = closed.port;
  }
  const auto down = send_aggregate(*db_, Relay{"127.0.0.1", port, std::chrono::seconds{5}}, sample_mail(), {a_, b_},
                                   false);
  EXPECT_EQ(down.sent, 0);
  EXPECT_EQ(down.failed, 2);
  EXPECT_EQ(send({a_, b_}, 2).sent, 2);
}

TEST_F(SendAggregate, Rfc7489ReportOverTheSizeLimitIsNotSentThere) {
  MailDestination small = b_;
  small.max_size = 1024;  // the message carries 3000 bytes of attachment
  const auto outcome = send({a_, small}, 1);
  EXPECT_EQ(outcome.sent, 1);
  EXPECT_EQ(outcome.failed, 0);
  ASSERT_EQ(outcome.notes.size(), 1u);
  EXPECT_NE(outcome.notes[0].find("exceeds its limit of 1024 bytes"), std::string::npos) << outcome.notes[0];
  EXPECT_EQ(received_.find("b@example.com"), std::string::npos);  // nor named in To:
}

}  // namespace
}  // namespace domainauth::report
