"""DKIM interop: what domainauth signs verifies as pass in dkimpy, and what dkimpy
signs verifies as pass in `domainauth dkim verify` (keys from a real unbound on
loopback), for RSA and Ed25519, simple/simple and relaxed/relaxed, over >= 50
generated messages (folded and long headers, long lines, empty body, trailing
blank lines, 8-bit, multipart, CRLF and LF input). Run inside netns-run.
Prints "N passed, N failed"; exit status 1 on any failure.
"""

import json
import os
import subprocess
import sys
import tempfile

import dkim

from dkimcorpus import DOMAIN, corpus, crlf
from dnsserver import DnsServer

DOMAINAUTH = os.environ["DOMAINAUTH"]


def run(args, data):
    p = subprocess.run(args, input=data, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout


def main():
    work = tempfile.mkdtemp()
    keys = {}
    records = []
    for alg in ("rsa", "ed25519"):
        sel = "sel-" + alg
        out = json.loads(run([DOMAINAUTH, "dkim", "keygen", "--domain", DOMAIN, "--selector", sel,
                              "--algorithm", alg, "--out", work, "--json"], b""))
        keys[alg] = (sel, out["private_key"], out["record"])
        records.append((out["name"], "TXT", out["record"]))
    messages = corpus()
    assert len(messages) >= 50, len(messages)
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL:", what)

    def dnsfunc(name, timeout=5):
        for n, _, value in records:
            if name.decode().rstrip(".") == n:
                return value.encode()
        return None

    with DnsServer(records) as dns:
        for name, msg in messages:
            for alg, (sel, keyfile, _) in keys.items():
                for canon in ("simple/simple", "relaxed/relaxed"):
                    what = "%s %s %s" % (name, alg, canon)
                    # domainauth signs (LF and CRLF input alike) -> dkimpy verifies the wire form.
                    for form, data in (("lf", msg), ("crlf", crlf(msg))):
                        signed = run([DOMAINAUTH, "dkim", "sign", "--domain", DOMAIN, "--selector", sel,
                                      "--key", keyfile, "--canon", canon], data)
                        check(dkim.verify(crlf(signed.replace(b"\r\n", b"\n")), dnsfunc=dnsfunc),
                              "dkimpy verify of domainauth " + form + " " + what)
                    # dkimpy signs -> domainauth verifies (CRLF, and converted to LF).
                    hc, bc = canon.split("/")
                    with open(keyfile, "rb") as f:
                        pem = f.read()
                    if alg == "ed25519":
                        # dkimpy takes the raw 32-octet seed, base64 (last 32 octets of the PKCS#8 DER).
                        import base64
                        der = base64.b64decode(b"".join(l for l in pem.splitlines() if not l.startswith(b"-----")))
                        pem = base64.b64encode(der[-32:])
                    sig = dkim.sign(crlf(msg), sel.encode(), DOMAIN.encode(), pem,
                                    canonicalize=(hc.encode(), bc.encode()),
                                    signature_algorithm=b"ed25519-sha256" if alg == "ed25519" else b"rsa-sha256",
                                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
                    for form, data in (("crlf", sig + crlf(msg)), ("lf", sig.replace(b"\r\n", b"\n") + msg)):
                        out = json.loads(run([DOMAINAUTH, "dkim", "verify", "--dns", dns.spec, "--json"], data))
                        sigs = out["signatures"]
                        check(len(sigs) == 1 and sigs[0]["result"] == "pass",
                              "domainauth verify of dkimpy %s %s: %s" % (form, what, sigs))
    print("dkimpy interop: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
