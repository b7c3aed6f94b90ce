"""`domainauth verify` against a real unbound on loopback (tests/e2e/lib/dnsserver.py):
messages signed by domainauth and by dkimpy, spoofed and misaligned ones, relaxed and
strict alignment, DNS failure, an upstream Authentication-Results of a trusted
authserv-id, and the action with and without [dmarc] enforce. SPF results are compared
with pyspf and DKIM results with dkimpy on the same DNS. Run inside netns-run.
Prints "N passed, N failed"; exit status 1 on any failure.
"""

import json
import os
import subprocess
import sys
import tempfile

import dkim
import spf

from checks import expect, finish
from dnsserver import DnsServer

DOMAINAUTH = os.environ["DOMAINAUTH"]
GOOD_IP = "192.0.2.10"
BAD_IP = "198.51.100.7"
HELO = "mail.example.com"


def run(*args, stdin=b""):
    p = subprocess.run([DOMAINAUTH, *args], input=stdin, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def message(from_domain, subject="test", extra=b""):
    return (extra + b"From: Alice <alice@" + from_domain.encode() + b">\r\n"
            b"To: bob@example.net\r\nSubject: " + subject.encode() + b"\r\n"
            b"Date: Sun, 29 Nov 2026 20:00:00 +0000\r\nMessage-ID: <" + subject.encode() + b"@test>\r\n"
            b"\r\nHello Bob,\r\nthis is a test.\r\n")


def records(dkim_record):
    return [
        ("example.com", "TXT", "v=spf1 ip4:%s -all" % GOOD_IP),
        ("_dmarc.example.com", "TXT", "v=DMARC1; p=reject; adkim=s; aspf=s"),
        ("sel._domainkey.example.com", "TXT", dkim_record),
        ("mail.example.org", "TXT", "v=spf1 ip4:%s -all" % GOOD_IP),
        ("_dmarc.example.org", "TXT", "v=DMARC1; p=quarantine"),          # relaxed by default
        ("mail.example.info", "TXT", "v=spf1 ip4:%s -all" % GOOD_IP),
        ("_dmarc.example.info", "TXT", "v=DMARC1; p=quarantine; aspf=s"),  # strict
        ("example.net", "TXT", "v=spf1 ~all"),
        ("mail.example.com", "A", GOOD_IP),
    ]


class Verifier:
    def __init__(self, dns, folder):
        self.dns = dns
        self.folder = folder
        self.plain = self.config("plain.toml", "")

    def config(self, name, text):
        path = os.path.join(self.folder, name)
        with open(path, "w") as f:
            f.write('[dns]\nservers = ["%s"]\n[milter]\nauthserv_id = "mx.test"\n%s' % (self.dns.spec, text))
        return path

    def verify(self, msg, ip=GOOD_IP, sender="bounce@example.com", config=None):
        args = ["verify", "--ip", ip, "--helo", HELO, "--sender", sender, "--json"]
        args += ["--config", config or self.plain]
        code, out, err = run(*args, stdin=msg)
        try:
            return code, json.loads(out)
        except ValueError:
            print("verify printed no JSON:", code, out, err)
            return code, {"dkim": [], "dmarc": {}, "authentication_results": ""}


def pyspf(ip, sender):
    return spf.query(i=ip, s=sender, h=HELO, querytime=0, timeout=5).check()[0]


def main():
    with tempfile.TemporaryDirectory() as folder:
        code, out, err = run("dkim", "keygen", "--domain", "example.com", "--selector", "sel",
                             "--out", folder, "--json")
        expect(code == 0, "keygen: " + err)
        key = json.loads(out)
        with open(key["private_key"], "rb") as f:
            private_pem = f.read()
        with DnsServer(records(key["record"]), servfail_names=["broken.test"]) as dns:
            v = Verifier(dns, folder)
            enforcing = v.config("enforce.toml", "[dmarc]\nenforce = true\n")
            upstream = v.config("upstream.toml", '[dmarc]\nspf_self_validate = false\n'
                                'trusted_authserv_ids = ["mx.upstream.test"]\n')

            # 1. Signed by domainauth, aligned SPF and DKIM: pass; dkimpy agrees on the signature.
            plain = message("example.com", "own")
            code, signed, err = run("dkim", "sign", "--domain", "example.com", "--selector", "sel",
                                    "--key", key["private_key"], stdin=plain)
            signed = signed.encode()
            code, r = v.verify(signed)
            expect(code == 0, "verify exits 0")
            expect(r.get("spf", {}).get("result") == pyspf(GOOD_IP, "bounce@example.com") == "pass",
                   "spf pass, as pyspf: %s" % r.get("spf"))
            expect([s["result"] for s in r["dkim"]] == ["pass"] and dkim.verify(signed),
                   "domainauth signature passes here and in dkimpy: %s" % r["dkim"])
            expect(r["dmarc"].get("result") == "pass" and r["dmarc"].get("action") == "accept",
                   "aligned mail: dmarc pass, accepted: %s" % r["dmarc"])
            ar = r["authentication_results"]
            expect(ar.startswith("mx.test;") and "dmarc=pass" in ar and "header.from=example.com" in ar
                   and "header.d=example.com" in ar, "Authentication-Results: " + ar)

            # 2. Signed by dkimpy: pass in domainauth too, even from an unauthorized address.
            peer = message("example.com", "peer")
            peer = dkim.sign(peer, b"sel", b"example.com", private_pem,
                             include_headers=[b"from", b"to", b"subject", b"date"]) + peer
            code, r = v.verify(peer, ip=BAD_IP)
            expect([s["result"] for s in r["dkim"]] == ["pass"], "dkimpy signature passes: %s" % r["dkim"])
            expect(r["spf"]["result"] == pyspf(BAD_IP, "bounce@example.com") == "fail",
                   "spf fail as pyspf: %s" % r["spf"])
            expect(r["dmarc"].get("result") == "pass", "dmarc pass through DKIM alone: %s" % r["dmarc"])

            # 2b. ARC (RFC 8617 5.2): a chain sealed by dkimpy (dkim.arc_sign) passes; no chain
            #     is arc=none; a body changed after sealing fails.
            expect(r.get("arc", {}).get("result") == "none", "no ARC set: arc none: %s" % r.get("arc"))
            forwarded = (b"Authentication-Results: mx.forwarder.test; arc=none; dkim=pass header.d=example.com\r\n"
                         + peer)
            arc_set = dkim.arc_sign(forwarded, b"sel", b"example.com", private_pem, b"mx.forwarder.test",
                                    include_headers=[b"from", b"to", b"subject", b"date"])
            expect(len(arc_set) == 3, "dkimpy sealed: %s" % arc_set)
            sealed = b"".join(arc_set) + forwarded
            code, r = v.verify(sealed, ip=BAD_IP)
            expect(r.get("arc", {}).get("result") == "pass" and r["arc"].get("instances") == 1
                   and "arc=pass" in r["authentication_results"], "dkimpy's ARC set passes: %s" % r.get("arc"))
            code, r = v.verify(sealed.replace(b"this is a test", b"this is a TEST"), ip=BAD_IP)
            expect(r.get("arc", {}).get("result") == "fail", "changed after sealing: arc fail: %s" % r.get("arc"))

            # 3. A tampered body fails DKIM as in dkimpy.
            tampered = signed.replace(b"this is a test", b"this is a TEST")
            code, r = v.verify(tampered)
            expect([s["result"] for s in r["dkim"]] == ["fail"] and not dkim.verify(tampered),
                   "tampered body fails here and in dkimpy: %s" % r["dkim"])

            # 4. Spoofed From of a p=reject domain: report-only by default, 550 when enforcing.
            spoof = message("example.com", "spoof")
            code, r = v.verify(spoof, ip=BAD_IP, sender="x@example.net")
            expect(r["spf"]["result"] == pyspf(BAD_IP, "x@example.net") == "softfail",
                   "spf softfail as pyspf: %s" % r["spf"])
            expect(r["dmarc"].get("result") == "fail" and r["dmarc"].get("policy") == "reject"
                   and r["dmarc"].get("disposition") == "reject", "spoof: dmarc fail, p=reject: %s" % r["dmarc"])
            expect(r["dmarc"].get("action") == "accept" and r["dmarc"].get("not_enforced_because"),
                   "not enforced without [dmarc] enforce: %s" % r["dmarc"])
            code, r = v.verify(spoof, ip=BAD_IP, sender="x@example.net", config=enforcing)
            expect(r["dmarc"].get("action") == "reject", "enforce = true: reject: %s" % r["dmarc"])
            code, out, err = run("verify", "--ip", BAD_IP, "--helo", HELO, "--sender", "x@example.net",
                                 "--config", enforcing, stdin=spoof)
            expect(code == 0 and "Authentication-Results: mx.test;" in out and " 550 5.7.1 " in out,
                   "human output names the field and the reply: " + out + err)

            # 5. Alignment: relaxed (organizational domains match) passes, strict does not.
            code, r = v.verify(message("example.org", "relaxed"), sender="b@mail.example.org")
            expect(r["spf"]["result"] == "pass" and r["dmarc"].get("result") == "pass",
                   "aspf=r: mail.example.org aligns with example.org: %s" % r["dmarc"])
            code, r = v.verify(message("example.info", "strict"), sender="b@mail.example.info")
            expect(r["spf"]["result"] == "pass" and r["dmarc"].get("result") == "fail"
                   and r["dmarc"].get("disposition") == "quarantine",
                   "aspf=s: mail.example.info does not align with example.info: %s" % r["dmarc"])

            # 6. DNS failure while looking for the policy: temperror, never a verdict.
            code, r = v.verify(message("broken.test", "servfail"), sender="b@broken.test")
            expect(code == 0 and r["dmarc"].get("result") == "temperror",
                   "SERVFAIL: dmarc temperror: %s" % r["dmarc"])

            # 7. spf_self_validate = false: the SPF result of a trusted upstream counts, others do not.
            trusted = message("example.org", "upstream", extra=b"Authentication-Results: mx.upstream.test;"
                              b" spf=pass smtp.mailfrom=b@mail.example.org\r\n")
            code, r = v.verify(trusted, ip=BAD_IP, sender="b@mail.example.org", config=upstream)
            expect(r["dmarc"].get("result") == "pass", "trusted upstream spf=pass aligns: %s" % r["dmarc"])
            forged = trusted.replace(b"mx.upstream.test", b"mx.forged.test")
            code, r = v.verify(forged, ip=BAD_IP, sender="b@mail.example.org", config=upstream)
            expect(r["dmarc"].get("result") == "fail", "untrusted authserv-id ignored: %s" % r["dmarc"])

            # 8. Without --config: --dns, the host name as authserv-id, the same verdict.
            code, out, err = run("verify", "--ip", GOOD_IP, "--helo", HELO, "--sender", "bounce@example.com",
                                 "--dns", dns.spec, "--json", stdin=signed)
            expect(code == 0 and json.loads(out)["dmarc"]["result"] == "pass", "--dns alone: " + out + err)

            # 9. Bad usage: exit 1 with a specific message.
            code, out, err = run("verify", "--ip", "999.1.1.1", "--helo", HELO, "--sender", "a@b", stdin=plain)
            expect(code == 1 and "--ip 999.1.1.1" in err, "bad --ip: exit 1: %d %s" % (code, err))

    return finish()


if __name__ == "__main__":
    sys.exit(main())
