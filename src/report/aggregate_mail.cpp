// RFC 9990 3.5 aggregate report mail: header, text part, application/gzip
// attachment. Reads no untrusted input.
#include "report/aggregate_mail.hpp"

#include "report/mime.hpp"

namespace domainauth::report {

std::string aggregate_subject(const AggregateMail& mail) {
  return "Report Domain: " + mail.policy_domain + "\r\n Submitter: " + mail.submitter + "\r\n Report-ID: <" +
         mail.report_id + ">";
}

std::string aggregate_message(const AggregateMail& mail) {
  const std::string separator = boundary();
  std::string to;
  for (const auto& address : mail.to) to += (to.empty() ? "" : ",\r\n ") + address;
  std::string m;
  m += "From: " + mail.from + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Date: " + date_value(mail.date) + "\r\n";
  m += "Message-ID: " + message_id(mail.host) + "\r\n";
  m += "Subject: " + aggregate_subject(mail) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/mixed;\r\n boundary=\"" + separator + "\"\r\n";
  m += "\r\n";
  m += "This is a MIME-formatted message.\r\n";
  m += "--" + separator + "\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  m += "DMARC aggregate report (RFC 9990) for " + mail.policy_domain + " from " + mail.submitter + ",\r\n";
  m += "covering " + date_value(mail.begin) + " to " + date_value(mail.end - 1) + ".\r\n";
  m += "The report is the attached gzipped XML file.\r\n";
  m += "--" + separator + "\r\n";
  m += "Content-Type: application/gzip;\r\n name=\"" + mail.file_name + "\"\r\n";
  m += "Content-Transfer-Encoding: base64\r\n";
  m += "Content-Disposition: attachment;\r\n filename=\"" + mail.file_name + "\"\r\n\r\n";
  m += base64_lines(mail.gzipped);
  m += "--" + separator + "--\r\n";
  return m;
}

}  // namespace domainauth::report
