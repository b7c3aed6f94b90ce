"""DKIM interop with OpenDKIM (Debian's opendkim daemon, driven as a milter by
tests/e2e/lib/milterclient.py), both ways, over the corpus of tests/e2e/lib/dkimcorpus.py,
for rsa-sha256 and ed25519-sha256 (RFC 8463) and simple/simple and relaxed/relaxed:

- what `domainauth dkim sign` signs (from LF and from CRLF input) verifies as
  dkim=pass in OpenDKIM's Authentication-Results;
- what OpenDKIM signs verifies as pass in `domainauth dkim verify --json`, given as
  CRLF and as LF.

Keys come from the peer's tools (opendkim-genkey for RSA, openssl genpkey for Ed25519),
so domainauth also reads the key files they write; unbound on loopback serves the
records. One daemon per algorithm and canonicalization signs mail from 127.0.0.1 (its
default InternalHosts) and verifies mail from 192.0.2.1. Run inside netns-run (root).
Prints "N passed, N failed"; exit status 1 on any failure.
"""

import base64
import concurrent.futures
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import dkim

from dkimcorpus import DOMAIN, corpus, crlf
from dnsserver import DnsServer
from milterclient import MilterClient, milter_form

DOMAINAUTH = os.environ["DOMAINAUTH"]
ALGORITHMS = {"rsa": "rsa-sha256", "ed25519": "ed25519-sha256"}
CANONICALIZATIONS = ("simple/simple", "relaxed/relaxed")
AUTHSERV_ID = "opendkim.test"
SIGNING_CLIENT = "127.0.0.1"    # in OpenDKIM's default InternalHosts: its mail is signed
VERIFYING_CLIENT = "192.0.2.1"  # outside it: its mail is verified
DAEMON_START_SECONDS = 10.0
WORKERS = 4                     # parallel cases: the milter sessions wait on the daemons

# Where OpenDKIM 2.11 departs from RFC 6376 on this corpus. The checks they touch assert
# that OpenDKIM still differs, then that the input corrected for the defect passes.
NO_FINAL_CRLF = (
    "relaxed body canonicalization with a body whose last line lacks CRLF: OpenDKIM neither "
    "signs nor gives any verdict (no Authentication-Results even with AlwaysAddARHeader), where "
    "RFC 6376 3.4.4 (b) says 'If the body is non-empty but does not end with a CRLF, a CRLF is "
    "added'; corrected input: the body with the final CRLF an SMTP MTA adds")
ED25519_SIMPLE_FOLD = (
    "ed25519-sha256 with simple header canonicalization: OpenDKIM hashes its DKIM-Signature with "
    "'; b=' on one line but emits it folded before 'b=', so the signature cannot verify (RFC 6376 "
    "3.7: the field is hashed as it appears in the message; 3.4.1: simple canonicalization keeps "
    "folding); corrected input: the field refolded as OpenDKIM hashed it. dkimpy (a third "
    "implementation) confirms it: it also fails the signature as emitted and passes it refolded")


def run(args, data=b""):
    p = subprocess.run(args, input=data, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout


@contextlib.contextmanager
def private_folder():
    """A 0700 tmpfs under /run, mounted in netns-run's private mount namespace (so it
    vanishes with the test): OpenDKIM refuses configuration and key files below a folder
    others may write, such as /tmp."""
    path = tempfile.mkdtemp(prefix="domainauth-opendkim-", dir="/run")
    try:
        run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=64m", "tmpfs", path])
        try:
            yield path
        finally:
            run(["umount", path])
    finally:
        os.rmdir(path)


def make_keys(folder):
    """{alg: (selector, private key file, TXT record text)}."""
    keys = {}
    run(["opendkim-genkey", "-D", folder, "-d", DOMAIN, "-s", "sel-rsa"])
    with open(os.path.join(folder, "sel-rsa.txt")) as f:
        keys["rsa"] = ("sel-rsa", os.path.join(folder, "sel-rsa.private"),
                       "".join(re.findall(r'"([^"]*)"', f.read())))
    ed_key = os.path.join(folder, "sel-ed25519.private")
    run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", ed_key])
    public_der = run(["openssl", "pkey", "-in", ed_key, "-pubout", "-outform", "DER"])
    keys["ed25519"] = ("sel-ed25519", ed_key,
                       "v=DKIM1; k=ed25519; p=" + base64.b64encode(public_der[-32:]).decode())  # RFC 8463 4.2
    for _, path, _ in keys.values():
        os.chmod(path, 0o600)  # both OpenDKIM and domainauth refuse keys others can read
    return keys


class OpenDkim:
    """One opendkim daemon in the foreground, signing with one key, algorithm and
    canonicalization, listening on a unix socket."""

    def __init__(self, folder, name, algorithm, canon, selector, key_file, dns_port):
        self.socket = os.path.join(folder, name + ".sock")
        self.log = os.path.join(folder, name + ".log")
        self.conf = os.path.join(folder, name + ".conf")
        with open(self.conf, "w") as f:
            f.write("\n".join([
                "Mode sv",
                "Syslog no",
                "Domain " + DOMAIN,
                "Selector " + selector,
                "KeyFile " + key_file,
                "SignatureAlgorithm " + algorithm,
                "Canonicalization " + canon,
                "OversignHeaders From",
                "AlwaysAddARHeader yes",  # "dkim=none" rather than silence
                "AuthservID " + AUTHSERV_ID,
                "Nameservers 127.0.0.1@%d" % dns_port,  # never leave it to recurse itself
                "Socket local:" + self.socket,
                "PidFile " + os.path.join(folder, name + ".pid"),
                "UMask 077", ""]))
        self.process = None

    def __enter__(self):
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(["opendkim", "-f", "-x", self.conf], stdout=log, stderr=log)
        deadline = time.monotonic() + DAEMON_START_SECONDS
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                with open(self.log, errors="replace") as log:
                    raise RuntimeError("opendkim %s did not start: %s" % (self.conf, log.read()))
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)

    def session(self, client_address, message):
        """One message through the milter from client_address -> EndOfMessage."""
        headers, body = milter_form(message)
        with MilterClient("unix:" + self.socket) as m:
            m.optneg()
            m.connect("client.test", "4", 25, client_address)
            m.helo("client.test")
            result = m.message(headers, body, sender="<joe@%s>" % DOMAIN)
            m.quit()
        return result

    def sign(self, message):
        """OpenDKIM's DKIM-Signature values (folded with LF, as the milter hands them back)."""
        mods = self.session(SIGNING_CLIENT, message).modifications
        return [m[-1] for m in mods if m[0] in ("insheader", "addheader") and m[-2].lower() == "dkim-signature"]

    def verify(self, message):
        """The dkim= results in OpenDKIM's Authentication-Results (AUTHSERV_ID's only)."""
        results = []
        for m in self.session(VERIFYING_CLIENT, message).modifications:
            if m[0] in ("insheader", "addheader") and m[-2].lower() == "authentication-results":
                value = m[-1].strip()
                if value.split(";")[0].strip() == AUTHSERV_ID:
                    results += re.findall(r"\bdkim=(\w+)", value)
        return results


def domainauth_sign(msg, canon, key):
    selector, key_file, _ = key
    return run([DOMAINAUTH, "dkim", "sign", "--domain", DOMAIN, "--selector", selector,
                "--key", key_file, "--canon", canon], msg)


def domainauth_verdicts(message, dns_spec):
    out = json.loads(run([DOMAINAUTH, "dkim", "verify", "--dns", dns_spec, "--json"], message))
    return [s["result"] for s in out["signatures"]]


def with_signatures(signatures, wire):
    """OpenDKIM's DKIM-Signature values (LF folds) on top of a CRLF message."""
    return b"".join(b"DKIM-Signature:" + s.encode().replace(b"\n", b"\r\n") + b"\r\n" for s in signatures) + wire


def dkimpy_verdicts(message, record):
    """dkimpy's verdict on the message's first DKIM-Signature: ["pass"] or ["fail"]."""
    ok = dkim.verify(message, dnsfunc=lambda name, timeout=5: record.encode())
    return ["pass" if ok else "fail"]


def lacks_final_line_break(msg):
    body = msg.partition(b"\n\n")[2]
    return body != b"" and not body.endswith(b"\n")


def run_case(name, msg, alg, canon, daemon, key, dns_spec):
    """[(deviation or None, what, ok)] for one message, algorithm and canonicalization, both ways."""
    what = "%s %s %s" % (name, alg, canon)
    checks = []
    # OpenDKIM's two departures from RFC 6376 (see the top): which this case meets.
    no_final_crlf = NO_FINAL_CRLF if canon.endswith("/relaxed") and lacks_final_line_break(msg) else None
    simple_fold = ED25519_SIMPLE_FOLD if alg == "ed25519" and canon.startswith("simple/") else None

    # domainauth signs (LF and CRLF input alike) -> OpenDKIM verifies the wire form.
    for form, data in (("lf", msg), ("crlf", crlf(msg))):
        signed = domainauth_sign(data, canon, key)
        verdicts = daemon.verify(signed)
        if no_final_crlf:
            checks.append((no_final_crlf, "OpenDKIM still gives no verdict on domainauth %s %s: %s"
                           % (form, what, verdicts), verdicts == []))
            verdicts = daemon.verify(signed + b"\n")  # the line break an SMTP MTA ends the body with
        checks.append((no_final_crlf, "OpenDKIM verify of domainauth %s %s: %s" % (form, what, verdicts),
                       verdicts == ["pass"]))

    # OpenDKIM signs -> domainauth verifies (CRLF, and converted to LF).
    wire = crlf(msg)
    signatures = daemon.sign(wire)
    if no_final_crlf:
        checks.append((no_final_crlf, "OpenDKIM still does not sign %s: %d signatures" % (what, len(signatures)),
                       signatures == []))
        wire += b"\r\n"
        signatures = daemon.sign(wire)
    if len(signatures) != 1:
        return checks + [(None, "OpenDKIM made %d signatures for %s" % (len(signatures), what), False)]
    # As OpenDKIM hashed its Ed25519 simple signatures: "b=" on the line before.
    refolded = [re.sub(r";\n\tb=", "; b=", s) for s in signatures]
    if simple_fold:
        as_emitted = dkimpy_verdicts(with_signatures(signatures, wire), key[2])
        checks.append((simple_fold, "dkimpy also fails OpenDKIM's %s: %s" % (what, as_emitted), as_emitted == ["fail"]))
        refolded_verdict = dkimpy_verdicts(with_signatures(refolded, wire), key[2])
        checks.append((simple_fold, "dkimpy passes OpenDKIM's %s refolded: %s" % (what, refolded_verdict),
                       refolded_verdict == ["pass"]))
    for form, convert in (("crlf", lambda m: m), ("lf", lambda m: m.replace(b"\r\n", b"\n"))):
        verdicts = domainauth_verdicts(convert(with_signatures(signatures, wire)), dns_spec)
        if simple_fold:
            checks.append((simple_fold, "domainauth still fails OpenDKIM's %s %s: %s" % (form, what, verdicts),
                           verdicts == ["fail"]))
            verdicts = domainauth_verdicts(convert(with_signatures(refolded, wire)), dns_spec)
        checks.append((no_final_crlf or simple_fold, "domainauth verify of OpenDKIM %s %s: %s" % (form, what, verdicts),
                       verdicts == ["pass"]))
    return checks


def main():
    messages = corpus()
    assert len(messages) >= 50, len(messages)
    started = time.monotonic()
    with private_folder() as folder:
        keys = make_keys(folder)
        records = [(sel + "._domainkey." + DOMAIN, "TXT", record) for sel, _, record in keys.values()]
        with DnsServer(records) as dns, contextlib.ExitStack() as stack:
            port = int(dns.spec.rsplit(":", 1)[1])
            daemons = {}
            for alg, algorithm in ALGORITHMS.items():
                for canon in CANONICALIZATIONS:
                    name = "%s-%s" % (alg, canon.replace("/", "-"))
                    daemons[alg, canon] = stack.enter_context(
                        OpenDkim(folder, name, algorithm, canon, keys[alg][0], keys[alg][1], port))
            with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
                futures = [pool.submit(run_case, name, msg, alg, canon, daemons[alg, canon], keys[alg], dns.spec)
                           for name, msg in messages for alg in ALGORITHMS for canon in CANONICALIZATIONS]
                checks = [c for f in futures for c in f.result()]
    failed = [what for _, what, ok in checks if not ok]
    for what in failed:
        print("FAIL:", what)
    for deviation in (NO_FINAL_CRLF, ED25519_SIMPLE_FOLD):
        print("known OpenDKIM deviation (%d checks, each asserting it still differs or that the corrected "
              "input passes): %s" % (sum(1 for d, _, _ in checks if d == deviation), deviation))
    print("opendkim interop: %d passed, %d failed (%d messages, %.1f s)"
          % (len(checks) - len(failed), len(failed), len(messages), time.monotonic() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
