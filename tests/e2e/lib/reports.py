"""DMARC aggregate reports as receivers send them, for the tests that ingest
them (tests/e2e/ingest, tests/e2e/dashboard): an RFC 7489 appendix C document
(valid against its schema) and the report mail that carries one as an attachment.

    xml = rfc7489_report("y-1", day, [("192.0.2.66", 2, "none", "example.com")])
    mail = report_mail(attachment("application/gzip", "r.xml.gz", gzip.compress(xml)))
"""

import base64


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
