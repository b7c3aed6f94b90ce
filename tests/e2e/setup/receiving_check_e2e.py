"""`domainauth check DOMAIN` on the receiving-side standards against real
parts on loopback: unbound serving a DNSSEC-signed zone (dane.test, trust
anchor made here with ldns-keygen / ldns-signzone) and an unsigned one
(plain.test); a Python HTTPS server with a certificate from a test CA made here
with openssl (the MTA-STS policy and the BIMI logo; the CA is given to check
with --ca-file); Postfix with that certificate, issued by an intermediate CA it
sends too, on 127.0.0.1:25 for --probe (DANE-EE, and DANE-TA of the
intermediate, of an unrelated CA, and for a name the certificate lacks).
dane.test is set up right and must come out clean; plain.test is broken in one
way per standard and each finding is asserted by id, severity and subject.
Run inside netns-run. Prints "N passed, N failed"; exit status 1 on any failure.
"""

import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading

from checks import expect, finish
from dnsserver import DnsServer, sign_zone
from postfix import Postfix

DOMAINAUTH = os.environ["DOMAINAUTH"]
LOOPBACK = "127.0.0.1"
HOSTS = ["mta-sts.dane.test", "dane.test", "mail.dane.test", "mta-sts.plain.test", "plain.test", "mail.plain.test",
         "mta-sts.mx2.test"]

GOOD_POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mail.dane.test\r\nmax_age: 604800\r\n"
BAD_POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mail.plain.test\r\nmax_age: 3600\r\n"
GOOD_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 8 8">'
            '<title>Dane Test</title><rect width="8" height="8" fill="#036"/></svg>')
BAD_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.2">'
           '<script>alert(1)</script><image xlink:href="https://elsewhere.test/a.png"/></svg>')
PAGES = {
    ("mta-sts.dane.test", "/.well-known/mta-sts.txt"): ("text/plain", GOOD_POLICY),
    ("dane.test", "/logo.svg"): ("image/svg+xml", GOOD_SVG),
    ("mta-sts.plain.test", "/.well-known/mta-sts.txt"): ("text/plain", BAD_POLICY),
    ("plain.test", "/logo.svg"): ("image/svg+xml", BAD_SVG),
    ("mta-sts.mx2.test", "/.well-known/mta-sts.txt"): ("text/plain", GOOD_POLICY),
}


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def der_sha256(pem_file, folder):
    der = subprocess.run(["openssl", "x509", "-in", pem_file, "-outform", "DER"], cwd=folder, check=True,
                         capture_output=True).stdout
    return subprocess.run(["openssl", "dgst", "-sha256", "-r"], input=der, check=True,
                          capture_output=True).stdout.split()[0].decode()


def make_certificates(folder):
    """A test CA hierarchy (root -> intermediate -> server certificate, P-256) for
    every host above and ta1/ta2.dane.test, and an unrelated CA; returns (ca.pem,
    key.pem, cert.pem holding the server certificate and the intermediate, SHA-256
    of the server key's SubjectPublicKeyInfo, SHA-256 of the intermediate, SHA-256
    of the unrelated CA)."""
    def ca(name, subject):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", subject, "-keyout", name + ".key", "-out", name + ".pem", cwd=folder)
    ca("ca", "/CN=domainauth test CA")
    ca("unrelated", "/CN=unrelated test CA")
    with open(os.path.join(folder, "inter.ext"), "w") as ext:
        ext.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
            "/CN=domainauth test intermediate", "-keyout", "inter.key", "-out", "inter.csr", cwd=folder)
    openssl("x509", "-req", "-in", "inter.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "inter.ext", "-out", "inter.pem", cwd=folder)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=mail.dane.test",
            "-keyout", "key.pem", "-out", "server.csr", cwd=folder)
    with open(os.path.join(folder, "san.ext"), "w") as ext:
        ext.write("subjectAltName=" + ",".join("DNS:" + h for h in HOSTS + ["ta1.dane.test", "ta2.dane.test"]) + "\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "inter.pem", "-CAkey", "inter.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "leaf.pem", cwd=folder)
    with open(os.path.join(folder, "cert.pem"), "w") as chain:
        for part in ("leaf.pem", "inter.pem"):
            with open(os.path.join(folder, part)) as f:
                chain.write(f.read())
    spki = subprocess.run(["openssl", "pkey", "-in", os.path.join(folder, "key.pem"), "-pubout", "-outform", "DER"],
                          check=True, capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-r"], input=spki, check=True,
                            capture_output=True).stdout.split()[0].decode()
    return ([os.path.join(folder, f) for f in ("ca.pem", "key.pem", "cert.pem")] +
            [digest, der_sha256("inter.pem", folder), der_sha256("unrelated.pem", folder)])


class Pages(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        page = PAGES.get((host, self.path))
        if page is None:
            self.send_error(404)
            return
        body = page[1].encode()
        self.send_response(200)
        self.send_header("Content-Type", page[0])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def https_server(key, cert):
    server = http.server.ThreadingHTTPServer((LOOPBACK, 443), Pages)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def records(domain, tlsa, bimi, dmarc, tls_rpt):
    return [
        (domain, "TXT", "v=spf1 ip4:127.0.0.1 -all"),
        (domain, "A", LOOPBACK),
        (domain, "MX", "10 mail.%s." % domain),
        ("mail." + domain, "A", LOOPBACK),
        ("mta-sts." + domain, "A", LOOPBACK),
        ("_25._tcp.mail." + domain, "TLSA", tlsa),
        ("_mta-sts." + domain, "TXT", "v=STSv1; id=20261207T000000"),
        ("_smtp._tls." + domain, "TXT", tls_rpt),
        ("default._bimi." + domain, "TXT", bimi),
        ("_dmarc." + domain, "TXT", dmarc),
    ]


def check(dns, domain, *extra):
    p = subprocess.run([DOMAINAUTH, "check", domain, "--dns", dns.spec, "--json", *extra],
                       capture_output=True, text=True, timeout=120)
    try:
        return p.returncode, json.loads(p.stdout), p.stderr
    except ValueError:
        print("check printed no JSON:", p.stdout, p.stderr)
        return p.returncode, {"findings": []}, p.stderr


def finding(report, fid, subject=None):
    for f in report["findings"]:
        if f["id"] == fid and (subject is None or f["subject"] == subject):
            return f
    return {"severity": None, "message": "", "fix": ""}


def expect_finding(report, fid, severity, subject=None, text=None):
    f = finding(report, fid, subject)
    ok = f["severity"] == severity and (text is None or text in f["message"])
    expect(ok, "%s %s: want %s%s, got %s: %s" % (fid, subject or "", severity,
                                                  " with %r" % text if text else "", f["severity"], f["message"]))
    if severity in ("error", "warning"):
        expect(f["fix"] != "", "%s carries a fix" % fid)


def test_good_domain(dns, anchor, ca):
    code, report, err = check(dns, "dane.test", "--trust-anchor", anchor, "--ca-file", ca, "--probe")
    bad = [f for f in report["findings"] if f["severity"] in ("error", "warning")
           and f["id"].split(".")[0] in ("mta_sts", "tls_rpt", "dane", "bimi")]
    expect(bad == [], "dane.test: no receiving-side error or warning: %s" % bad)
    for fid, subject in [("mta_sts.record", None), ("mta_sts.policy_fetch", None), ("mta_sts.policy", None),
                         ("mta_sts.mode", None), ("mta_sts.mx_match", "mail.dane.test"), ("tls_rpt.record", None),
                         ("dane.tlsa", "mail.dane.test"), ("dane.dnssec", "mail.dane.test"),
                         ("dane.mx_address_dnssec", "mail.dane.test"),
                         ("dane.probe", "mail.dane.test"), ("bimi.record", None), ("bimi.dmarc", None),
                         ("bimi.logo", None), ("bimi.evidence", None)]:
        expect_finding(report, fid, "ok", subject)
    text = subprocess.run([DOMAINAUTH, "check", "dane.test", "--dns", dns.spec, "--trust-anchor", anchor,
                           "--ca-file", ca], capture_output=True, text=True, timeout=120).stdout
    expect(all("\n%s" % title in text for title in ("DANE", "MTA-STS\n", "TLS-RPT\n", "BIMI\n")),
           "the text report has the new sections: %s" % text)


def test_broken_domain(dns, anchor, ca):
    code, report, err = check(dns, "plain.test", "--ca-file", ca, "--probe")
    expect(code == 3, "plain.test has errors: exit 3, got %d %s" % (code, err))
    expect_finding(report, "dane.dnssec", "info", "mail.plain.test", "not validated")
    expect_finding(report, "dane.usage", "warning", "mail.plain.test", "PKIX")
    expect_finding(report, "dane.probe", "error", "mail.plain.test", "matches none")
    expect_finding(report, "mta_sts.max_age", "warning")
    expect_finding(report, "tls_rpt.record", "error", text="mailto: or https:")
    expect_finding(report, "bimi.dmarc", "error", text="p=quarantine or p=reject")
    expect_finding(report, "bimi.logo", "error", text="<script>")
    expect_finding(report, "bimi.evidence", "warning")
    text = subprocess.run([DOMAINAUTH, "check", "plain.test", "--dns", dns.spec, "--ca-file", ca],
                          capture_output=True, text=True, timeout=120).stdout
    expect("fix (bimi.logo): " in text and "fix (tls_rpt.record): " in text, "the text names each fix's id: %s" % text)
    code, report, err = check(dns, "plain.test", "--ca-file", ca, "--trust-anchor", anchor)
    expect_finding(report, "dane.dnssec", "error", "mail.plain.test", "not DNSSEC-signed")
    expect(finding(report, "dane.probe")["severity"] is None, "no probe without --probe")
    # Without the test CA the certificate does not verify: the policy is not taken.
    code, report, err = check(dns, "dane.test", "--trust-anchor", anchor)
    expect_finding(report, "mta_sts.policy_fetch", "error", text="certificate")
    expect(finding(report, "mta_sts.policy")["severity"] is None, "an unverified policy is not judged")


def test_mx_address_unsigned(dns, anchor):
    """RFC 7672 2.2.2: mx3.dane.test's MX and TLSA answers are signed, but its MX host
    is a CNAME into the unsigned plain.test, so its address is not secure."""
    code, report, err = check(dns, "mx3.dane.test", "--trust-anchor", anchor)
    expect_finding(report, "dane.dnssec", "ok", "mail3.dane.test")
    expect_finding(report, "dane.mx_address_dnssec", "error", "mail3.dane.test", "not DNSSEC-signed")
    expect(code == 3, "an MX host with an unsigned address: exit 3, got %d" % code)


def test_dane_ta(dns, anchor):
    """RFC 7672 3.1.2 / 3.2.2: a DANE-TA record matches a CA the server sends, the chain
    from its certificate up to that CA verifies, and the certificate names the MX host."""
    code, report, err = check(dns, "ta.dane.test", "--trust-anchor", anchor, "--probe")
    expect_finding(report, "dane.probe", "ok", "ta1.dane.test", "2 0 1")
    expect_finding(report, "dane.probe", "error", "ta2.dane.test", "no CA certificate")
    expect_finding(report, "dane.probe", "error", "ta3.dane.test", "hostname mismatch")
    expect_finding(report, "dane.dnssec", "ok", "ta1.dane.test")


def test_second_mx_outside_policy(dns, ca):
    code, report, err = check(dns, "mx2.test", "--ca-file", ca)
    expect_finding(report, "mta_sts.mx_match", "ok", "mail.dane.test")
    expect_finding(report, "mta_sts.mx_match", "error", "mail.plain.test", "matches no mx pattern")


def main():
    with tempfile.TemporaryDirectory(prefix="domainauth-receiving-") as work:
        ca, key, cert, spki, intermediate, unrelated = make_certificates(work)
        signed = records("dane.test", "3 1 1 " + spki,
                         "v=BIMI1; l=https://dane.test/logo.svg; a=https://dane.test/vmc.pem",
                         "v=DMARC1; p=reject", "v=TLSRPTv1; rua=mailto:tls@dane.test")
        # mx3.dane.test: signed MX and TLSA, the MX host a CNAME into the unsigned plain.test.
        signed += [("mx3.dane.test", "MX", "10 mail3.dane.test."), ("mail3.dane.test", "CNAME", "mail.plain.test."),
                   ("_25._tcp.mail3.dane.test", "TLSA", "3 1 1 " + spki)]
        # ta.dane.test: DANE-TA (2 0 1) records for three MX hosts, all the Postfix on
        # 127.0.0.1:25: the intermediate (ta1, named in the certificate), an unrelated CA
        # (ta2, named too), the intermediate again (ta3, a name the certificate lacks).
        signed += [("ta.dane.test", "MX", "%d ta%d.dane.test." % (10 * n, n)) for n in (1, 2, 3)]
        signed += [("ta%d.dane.test" % n, "A", LOOPBACK) for n in (1, 2, 3)]
        signed += [("_25._tcp.ta1.dane.test", "TLSA", "2 0 1 " + intermediate),
                   ("_25._tcp.ta2.dane.test", "TLSA", "2 0 1 " + unrelated),
                   ("_25._tcp.ta3.dane.test", "TLSA", "2 0 1 " + intermediate)]
        zonefile, anchor = sign_zone(work, "dane.test", signed)
        plain = records("plain.test", "1 1 1 " + "00" * 32, "v=BIMI1; l=https://plain.test/logo.svg",
                        "v=DMARC1; p=none", "v=TLSRPTv1; rua=ftp://plain.test/")
        plain = [r for r in plain if r[1] != "TLSA"] + [("_25._tcp.mail.plain.test", "TLSA", "1 1 1 " + "00" * 32),
                                                     ("_25._tcp.mail.plain.test", "TLSA", "3 1 1 " + "ab" * 32)]
        # mx2.test serves dane.test's policy (mx: mail.dane.test) but has a second MX it does not list.
        mx2 = [("mx2.test", "TXT", "v=spf1 -all"), ("mx2.test", "MX", "10 mail.dane.test."),
               ("mx2.test", "MX", "20 mail.plain.test."), ("_mta-sts.mx2.test", "TXT", "v=STSv1; id=1"),
               ("mta-sts.mx2.test", "A", LOOPBACK)]
        server = https_server(key, cert)
        mta_main = {"smtpd_tls_security_level": "may", "smtpd_tls_chain_files": "%s, %s" % (key, cert),
                    "myhostname": "mail.dane.test"}
        try:
            with DnsServer(plain + mx2, auth_zones=[("dane.test", zonefile)]) as dns, \
                    Postfix(smtpd_port=25, sink_port=2626, main_cf=mta_main,
                            master_cf=["tlsmgr unix - - n 1000? 1 tlsmgr"]) as mta:
                test_good_domain(dns, anchor, ca)
                test_broken_domain(dns, anchor, ca)
                test_second_mx_outside_policy(dns, ca)
                test_mx_address_unsigned(dns, anchor)
                test_dane_ta(dns, anchor)
                if finish():
                    print("--- maillog ---\n" + mta.maillog()[-3000:])
                    print("--- unbound log ---\n" + dns.log()[-3000:])
                    return 1
                return 0
        finally:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
