"""Runs the DNS end-to-end test program against unbound serving the data below.

Usage (inside tests/e2e/lib/netns-run): run.py TEST_BINARY [gtest arguments...]
The program learns the server from DOMAINAUTH_DNS_SERVER ("127.0.0.1:5353") and
can stop/start it through the control socket named by DOMAINAUTH_DNS_CONTROL.
The DNSSEC-signed zone secure.test is served too; DOMAINAUTH_DNS_TRUST_ANCHOR names
the file with its trust anchor (the KSK's DS record).
"""

import os
import subprocess
import sys
import tempfile

from dnsserver import DnsServer, sign_zone

LONG_TXT = "".join("%04d-" % i for i in range(400))  # 2000 octets: 8 strings, over UDP's size

RECORDS = [
    ("host.e2e.test", "A", "192.0.2.1"),
    ("host.e2e.test", "A", "192.0.2.2"),
    ("host.e2e.test", "AAAA", "2001:db8::1"),
    ("e2e.test", "MX", "10 mx1.e2e.test"),
    ("e2e.test", "MX", "20 MX2.E2E.Test."),
    ("1.2.0.192.in-addr.arpa", "PTR", "Host.E2E.test."),
    ("multi.e2e.test", "TXT", '"v=spf1 " "ip4:192.0.2.0/24" " -all"'),
    ("multi.e2e.test", "TXT", "second record"),
    ("long.e2e.test", "TXT", LONG_TXT),
    ("empty.e2e.test", "TXT", '""'),
    ("alias.e2e.test", "CNAME", "host.e2e.test"),
    ("txtalias.e2e.test", "CNAME", "multi.e2e.test"),
    ("cached.e2e.test", "A", "192.0.2.99"),
] + [("n%d.many.e2e.test" % i, "A", "10.0.%d.%d" % (i // 256, i % 256)) for i in range(200)]


SIGNED = [
    ("secure.test", "TXT", "v=spf1 -all"),
    ("host.secure.test", "A", "192.0.2.10"),
    ("tampered.secure.test", "TXT", "signed text"),
]
TAMPER = [("tampered.secure.test", "TXT", '"altered after signing"')]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: run.py TEST_BINARY [gtest arguments...]")
    with tempfile.TemporaryDirectory(prefix="domainauth-dns-e2e-") as work:
        control = os.path.join(work, "control")
        zonefile, trust_anchor = sign_zone(work, "secure.test", SIGNED, tamper=TAMPER)
        with DnsServer(RECORDS, timeout_names=["slow.e2e.test"], servfail_names=["broken.e2e.test"],
                       auth_zones=[("secure.test", zonefile)]) as dns:
            dns.serve_control(control)
            env = dict(os.environ, DOMAINAUTH_DNS_SERVER=dns.spec, DOMAINAUTH_DNS_CONTROL=control,
                       DOMAINAUTH_LONG_TXT=LONG_TXT, DOMAINAUTH_DNS_TRUST_ANCHOR=trust_anchor)
            status = subprocess.call(sys.argv[1:], env=env)
            if status != 0:
                print("--- unbound log ---\n" + dns.log(), file=sys.stderr)
    sys.exit(status)


if __name__ == "__main__":
    main()
