// Finding report documents in files and report mail (report/ingest_mail.hpp):
// the MIME labels and encodings large reporters use, nested multipart, and
// what is not a report.
#include <gtest/gtest.h>

#include "dkim/crypto.hpp"
#include "report/file.hpp"
#include "report/ingest_mail.hpp"
#include "report/mime.hpp"
#include "support/zip_writer.hpp"

namespace domainauth::report {
namespace {

const std::string kXml = "<?xml version=\"1.0\"?><feedback><version>1.0</version></feedback>";

std::string attachment(std::string_view type, std::string_view name, std::string_view data) {
  return "Content-Type: " + std::string(type) + (name.empty() ? "" : "; name=\"" + std::string(name) + "\"") +
         "\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment" +
         (name.empty() ? "" : "; filename=\"" + std::string(name) + "\"") + "\r\n\r\n" + base64_lines(data);
}

std::string multipart(std::string_view boundary, const std::vector<std::string>& parts, std::string_view type = "mixed") {
  std::string out = "Content-Type: multipart/" + std::string(type) + "; boundary=\"" + std::string(boundary) +
                    "\"\r\n\r\npreamble\r\n";
  for (const auto& p : parts) out += "--" + std::string(boundary) + "\r\n" + p + "\r\n";
  return out + "--" + std::string(boundary) + "--\r\nepilogue\r\n";
}

std::string mail(std::string_view body_with_headers) {
  return "From: noreply-dmarc-support@google.com\r\nTo: dmarc@example.com\r\nSubject: Report domain: example.com\r\n"
         "MIME-Version: 1.0\r\n" + std::string(body_with_headers);
}

TEST(IngestMail, TheLabelsReportersUse) {
  const auto gz = gzip(kXml);
  const auto zipped = testing::zip({{"google.com!example.com!1!2.xml", kXml}});
  struct Case {
    const char* name;
    std::string part;
  } cases[] = {
      {"application/gzip", attachment("application/gzip", "a.xml.gz", gz)},
      {"application/x-gzip", attachment("application/x-gzip", "", gz)},
      {"application/zip", attachment("application/zip", "a.zip", zipped)},
      {"application/x-zip-compressed", attachment("application/x-zip-compressed", "a.zip", zipped)},
      {"octet-stream with a .gz name", attachment("application/octet-stream", "r.xml.gz", gz)},
      {"octet-stream with a .zip name", attachment("Application/Octet-Stream", "r.zip", zipped)},
      {"text/xml", attachment("text/xml", "r.xml", kXml)},
  };
  for (const auto& c : cases) {
    const auto text = mail(multipart("b1", {"Content-Type: text/plain\r\n\r\nThis is a DMARC report.", c.part}));
    const auto found = documents_from_mail(text);
    EXPECT_TRUE(found.errors.empty()) << c.name << ": " << (found.errors.empty() ? "" : found.errors[0]);
    ASSERT_EQ(found.documents.size(), 1U) << c.name;
    EXPECT_EQ(found.documents[0].text, kXml) << c.name;
  }
}

TEST(IngestMail, NestedMultipartAndASinglePartMessage) {
  const auto inner = multipart("inner", {"Content-Type: text/plain\r\n\r\nhi", attachment("application/gzip", "a.gz", gzip(kXml))});
  const auto found = documents_from_mail(mail(multipart("outer", {inner, "Content-Type: text/html\r\n\r\n<p>x</p>"})));
  ASSERT_EQ(found.documents.size(), 1U);
  EXPECT_EQ(found.documents[0].name, "a.gz");
  // Yahoo style: the whole message is the attachment.
  const auto single = documents_from_mail(mail(attachment("application/zip", "y.zip", testing::zip({{"y.xml", kXml}}))));
  ASSERT_EQ(single.documents.size(), 1U);
  EXPECT_EQ(single.documents[0].name, "y.zip:y.xml");
}

TEST(IngestMail, NotAReportAndBrokenAttachments) {
  const auto plain = documents_from_mail(mail("Content-Type: text/plain\r\n\r\nhello"));
  EXPECT_TRUE(plain.documents.empty());
  EXPECT_TRUE(plain.errors.empty()) << "nothing that looks like a report: no document, no error";
  const auto octets = documents_from_mail(mail(multipart("b", {attachment("application/octet-stream", "photo.jpg", "JFIF")})));
  EXPECT_TRUE(octets.documents.empty() && octets.errors.empty()) << "octet-stream without a report name is not looked at";
  const auto bad64 = documents_from_mail(mail("Content-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@\r\n"));
  ASSERT_EQ(bad64.errors.size(), 1U);
  EXPECT_NE(bad64.errors[0].find("base64"), std::string::npos);
  const auto bad_gzip = documents_from_mail(mail(attachment("application/gzip", "a.gz", gzip(kXml).substr(0, 20))));
  ASSERT_EQ(bad_gzip.errors.size(), 1U);
  EXPECT_NE(bad_gzip.errors[0].find("a.gz: gzip:"), std::string::npos) << bad_gzip.errors[0];
}

TEST(IngestMail, NestingAndPartCountAreBounded) {
  std::string body = attachment("application/gzip", "deep.gz", gzip(kXml));
  for (std::size_t i = 0; i <= kMaxMimeDepth; ++i) body = multipart("b" + std::to_string(i), {body});
  const auto deep = documents_from_mail(mail(body));
  EXPECT_TRUE(deep.documents.empty());
  ASSERT_FALSE(deep.errors.empty());
  EXPECT_NE(deep.errors[0].find("nested deeper"), std::string::npos);
  const std::vector<std::string> many(kMaxMimeParts + 5, "Content-Type: text/plain\r\n\r\nx");
  const auto wide = documents_from_mail(mail(multipart("w", many)));
  ASSERT_EQ(wide.errors.size(), 1U);
  EXPECT_NE(wide.errors[0].find("MIME parts"), std::string::npos);
}

TEST(IngestMail, QuotedPrintableXml) {
  const std::string part = "Content-Type: text/xml\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                           "<feedback><version>1=2E0</version>=\r\n</feedback>";
  const auto found = documents_from_mail(mail(part));
  ASSERT_EQ(found.documents.size(), 1U);
  EXPECT_EQ(found.documents[0].text, "<feedback><version>1.0</version></feedback>");
}

TEST(IngestFile, ByContentNotByName) {
  EXPECT_EQ(documents_from_file("r.xml", gzip(kXml)).documents.at(0).text, kXml);
  EXPECT_EQ(documents_from_file("r.gz", kXml).documents.at(0).text, kXml);
  const auto z = documents_from_file("r.zip", testing::zip({{"a.xml", kXml}, {"b.xml", kXml}}));
  ASSERT_EQ(z.documents.size(), 2U);
  EXPECT_EQ(z.documents[1].name, "r.zip:b.xml");
}

}  // namespace
}  // namespace domainauth::report
