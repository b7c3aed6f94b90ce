"""DMARC reports as receivers send them, for the tests that ingest them
(tests/e2e/ingest, tests/e2e/dashboard, tests/e2e/metrics): an RFC 7489 appendix C
document (valid against its schema), the report mail that carries one as an
attachment, an RFC 6591 failure report mail, and an RFC 8460 SMTP TLS report with
the mail that carries it.

    xml = rfc7489_report("y-1", day, [("192.0.2.66", 2, "none", "example.com")])
    mail = report_mail(attachment("application/gzip", "r.xml.gz", gzip.compress(xml)))
    mail = failure_report_mail(time.time(), "203.0.113.9", "<m1@forger.test>")
    mail = tls_mail(tls_report("Google", "t-1", day, 100, [("certificate-expired", 3)]))
"""

import base64
import email.utils
import gzip
import json
import time


def rfc7489_report(report_id, day, records, org="yahoo.test"):
    """records: (source_ip, count, disposition, SPF auth_results domain); all fail
    the aligned checks; the SPF auth_results passes for the domain given."""
    rows = "".join(
        "<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated><disposition>%s</disposition>"
        "<dkim>fail</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from>"
        "<envelope_from>example.com</envelope_from>"
        "</identifiers><auth_results><spf><domain>%s</domain><scope>mfrom</scope><result>pass</result></spf></auth_results></record>"
        % r for r in records)
    return ('<?xml version="1.0" encoding="UTF-8"?><feedback><version>1.0</version>'
            "<report_metadata><org_name>%s</org_name>"
            "<email>dmarc@%s</email><report_id>%s</report_id><date_range><begin>%d</begin><end>%d</end>"
            "</date_range></report_metadata><policy_published><domain>example.com</domain><adkim>r</adkim>"
            "<aspf>r</aspf><p>none</p><sp>none</sp><pct>100</pct><fo>0</fo></policy_published>%s</feedback>"
            % (org, org, report_id, day, day + 86399, rows)).encode()


def attachment(ctype, name, data):
    return ('Content-Type: %s; name="%s"\r\nContent-Transfer-Encoding: base64\r\n'
            'Content-Disposition: attachment; filename="%s"\r\n\r\n' % (ctype, name, name)).encode() + \
        base64.encodebytes(data).replace(b"\n", b"\r\n")


def report_mail(part):
    return (b"From: noreply-dmarc-support@receiver.test\r\nTo: dmarc-reports@example.com\r\n"
            b"Subject: Report Domain: example.com Submitter: receiver.test Report-ID: <1>\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n'
            b'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n--inner\r\n'
            b"Content-Type: text/plain\r\n\r\nThis is an aggregate report.\r\n--inner--\r\n--outer\r\n"
            + part + b"--outer--\r\n")


def failure_report_mail(arrival, source_ip, message_id, auth_failure="dmarc", delivery="reject",
                        reporter="mx.receiver.test", mail_from="bounce@forger.test", domain="example.com"):
    """An RFC 6591 auth-failure report about a message From: payroll@<domain> that
    arrived at arrival (Unix time) from source_ip; the original's header block as
    message/rfc822 with a body that must never be stored."""
    date = email.utils.formatdate(arrival)
    return ("From: dmarc-failures@%s\r\nTo: ruf@%s\r\nSubject: Failure report for %s\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=feedback-report; boundary="fb"\r\n\r\n'
            "--fb\r\nContent-Type: text/plain\r\n\r\nAn authentication failure report.\r\n"
            "--fb\r\nContent-Type: message/feedback-report\r\n\r\n"
            "Feedback-Type: auth-failure\r\nVersion: 1\r\nUser-Agent: e2e/1\r\nAuth-Failure: %s\r\n"
            "Original-Mail-From: <%s>\r\nOriginal-Rcpt-To: <alice@receiver.test>\r\nArrival-Date: %s\r\n"
            "Source-IP: %s\r\nReported-Domain: %s\r\nDelivery-Result: %s\r\nReporting-MTA: dns; %s\r\n"
            "Authentication-Results: %s; dmarc=fail header.from=%s\r\n"
            "--fb\r\nContent-Type: message/rfc822\r\n\r\n"
            "From: Payroll <payroll@%s>\r\nTo: alice@receiver.test\r\nSubject: Your salary slip\r\n"
            "Message-ID: %s\r\nDate: %s\r\n\r\nSECRET BODY TEXT\r\n--fb--\r\n"
            % (reporter, domain, domain, auth_failure, mail_from, date, source_ip, domain, delivery, reporter,
               reporter, domain, domain, message_id, date)).encode()


def tls_report(org, report_id, day, successful, failures, domain="example.com"):
    """An RFC 8460 report (JSON bytes) for the UTC day starting at day: one sts policy for
    domain, failures a list of (result-type, failed-session-count)."""
    stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    details = [{"result-type": kind, "sending-mta-ip": "192.0.2.%d" % (i + 10),
                "receiving-mx-hostname": "mx.%s" % domain, "failed-session-count": n}
               for i, (kind, n) in enumerate(failures)]
    return json.dumps({
        "organization-name": org, "report-id": report_id, "contact-info": "tlsrpt@%s.test" % org.lower(),
        "date-range": {"start-datetime": stamp(day), "end-datetime": stamp(day + 86399)},
        "policies": [{"policy": {"policy-type": "sts", "policy-domain": domain,
                                 "policy-string": ["version: STSv1", "mode: enforce", "mx: mx.%s" % domain,
                                                   "max_age: 86400"], "mx-host": ["mx.%s" % domain]},
                      "summary": {"total-successful-session-count": successful,
                                  "total-failure-session-count": sum(n for _, n in failures)},
                      "failure-details": details}]}).encode()


def tls_mail(report, name="report.json.gz"):
    """The report gzipped as application/tlsrpt+gzip in a multipart/report (RFC 8460 5.3)."""
    return (b"From: tlsrpt@sender.test\r\nTo: tlsrpt@example.com\r\nSubject: Report Domain: example.com\r\n"
            b"TLS-Report-Domain: example.com\r\nTLS-Report-Submitter: sender.test\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/report; report-type="tlsrpt"; boundary="tb"\r\n\r\n'
            b"--tb\r\nContent-Type: text/plain\r\n\r\nThis is an aggregate TLS report.\r\n--tb\r\n"
            + attachment("application/tlsrpt+gzip", name, gzip.compress(report)) + b"--tb--\r\n")
