"""Rows in the history -> `domainauth report aggregate --dry-run --out DIR` ->
one gzipped RFC 9990 report per policy domain, named
receiver!policy-domain!begin!end.xml.gz, valid against the schema (xmllint),
with the rows' counts. Run inside tests/e2e/lib/netns-run.
"""

import gzip
import os
import sqlite3
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

DAY = 1789948800  # 2026-09-21
NS = {"d": "urn:ietf:params:xml:ns:dmarc-2.0"}


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)


def run_report(domainauth, config, out):
    return subprocess.run([domainauth, "report", "aggregate", "--period", "2026-09-21", "--config", config,
                           "--dry-run", "--out", out], capture_output=True, text=True)


def insert(db, n, ip, domain, result, disposition, t):
    con = sqlite3.connect(db)
    for i in range(n):
        mid = "%s-%s-%d-%d" % (domain, ip, t, i)
        con.execute("INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (mid, t + i, DAY, DAY + 86400, ip, domain, domain, "pass" if result == "pass" else "fail",
                     domain, 1 if result == "pass" else 0, domain, "reject", "", "", 100, "r", "r", 0,
                     disposition, result))
        con.execute("INSERT INTO dkim_results VALUES (?,?,?,?,?,?)",
                    (mid, 0, "pass" if result == "pass" else "fail", domain, "s1", 1 if result == "pass" else 0))
    con.commit()
    con.close()


def main():
    domainauth = os.environ["DOMAINAUTH"]
    schema = os.path.join(os.environ["DOMAINAUTH_TESTSUITES"], "dmarc-report", "rfc9990-dmarc-xml-0.2.xsd")
    with tempfile.TemporaryDirectory(prefix="domainauth-report-e2e-") as work:
        db = os.path.join(work, "history.sqlite")
        config = os.path.join(work, "domainauth.toml")
        out = os.path.join(work, "out")
        os.mkdir(out)
        with open(config, "w") as f:
            f.write('[store]\nsqlite_path = "%s"\n[report]\norg_name = "mx.receiver.test"\n'
                    'email = "dmarc@receiver.test"\n' % db)
        first = run_report(domainauth, config, out)  # creates the schema; no rows, no report
        check(first.returncode == 0, "empty history: " + first.stderr)
        check(os.listdir(out) == [], "no report from an empty history")
        insert(db, 3, "192.0.2.1", "example.com", "pass", "none", DAY + 10)
        insert(db, 2, "192.0.2.66", "example.com", "fail", "reject", DAY + 20)
        insert(db, 1, "198.51.100.5", "example.org", "fail", "none", DAY + 30)
        insert(db, 4, "192.0.2.1", "example.com", "pass", "none", DAY + 86400 + 5)  # the next day
        second = run_report(domainauth, config, out)
        check(second.returncode == 0, "report: " + second.stderr)
        names = sorted(os.listdir(out))
        expected = ["mx.receiver.test!example.com!%d!%d.xml.gz" % (DAY, DAY + 86399),
                    "mx.receiver.test!example.org!%d!%d.xml.gz" % (DAY, DAY + 86399)]
        check(names == expected, "file names: %s" % names)
        for name in names:
            path = os.path.join(out, name)
            with gzip.open(path) as f:
                xml = f.read()
            plain = path[:-3]
            with open(plain, "wb") as f:
                f.write(xml)
            lint = subprocess.run(["xmllint", "--noout", "--schema", schema, plain], capture_output=True, text=True)
            check(lint.returncode == 0, "schema: " + lint.stderr)
            root = ET.fromstring(xml)
            counts = {r.find("d:row/d:source_ip", NS).text: int(r.find("d:row/d:count", NS).text)
                      for r in root.findall("d:record", NS)}
            if "example.com" in name:
                check(counts == {"192.0.2.1": 3, "192.0.2.66": 2}, "example.com counts: %s" % counts)
                check(root.find("d:report_metadata/d:email", NS).text == "dmarc@receiver.test", "email")
            else:
                check(counts == {"198.51.100.5": 1}, "example.org counts: %s" % counts)
    print("report e2e: ok")


if __name__ == "__main__":
    main()
