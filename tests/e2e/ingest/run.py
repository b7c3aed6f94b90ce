"""Received DMARC aggregate reports -> `domainauth report ingest` -> `report summary`:

- a report written by `report aggregate --dry-run` (RFC 9990, valid against the schema)
  mailed as multipart/mixed (a nested multipart/alternative text, an application/gzip
  base64 attachment) and piped into ingest: stored, exit 0; piped again: a duplicate,
  nothing counted twice;
- a hand-written RFC 7489 appendix C report (valid against its schema), zipped and
  attached as application/octet-stream with a .zip name; one 30 days old as a file;
- summary --json: "messages" and each source's "messages" equal the sums of the
  <count> elements ingested; PTR names from unbound; the verdicts (own server failing,
  stranger); --days places reports by their date range;
- sysexits: a mail without a report -> 65, the history unreachable -> 75; --maildir
  moves stored mail to cur/ as seen, unreadable mail as flagged;
- RFC 6591 failure reports: one piped in as the Postfix alias would (stored, exit 0;
  again: a duplicate), one in --maildir (stored, moved to cur/ as seen), the RFC's
  appendix B example as a FILE, an abuse report refused (exit 65, said why);
  summary --json "failure_reports" counts the two for example.com in the period;
  no row holds the original message's body;
- RFC 8460 SMTP TLS reports: one mailed as application/tlsrpt+gzip piped in (stored;
  again: a duplicate), one as a .json FILE; a report dated in the future refused
  (exit 65); the stored sessions equal the reports'.
Run inside tests/e2e/lib/netns-run.
"""

import gzip
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile

from dnsserver import DnsServer
from history import add_message, report_config
from reports import attachment, failure_report_mail, report_mail, rfc7489_report, tls_mail, tls_report

DAY = (int(time.time()) // 86400 - 1) * 86400  # yesterday, UTC
OLD_DAY = DAY - 30 * 86400
SCHEMAS = os.path.join(os.environ["DOMAINAUTH_TESTSUITES"], "dmarc-report")
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "reports")


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)


def run(*args, stdin=None):
    return subprocess.run([os.environ["DOMAINAUTH"], "report", *args], input=stdin, capture_output=True, timeout=60)


def validate(schema, work, xml):
    path = os.path.join(work, "lint.xml")
    with open(path, "wb") as f:
        f.write(xml)
    lint = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(SCHEMAS, schema), path],
                          capture_output=True, text=True)
    check(lint.returncode == 0, "schema %s: %s" % (schema, lint.stderr))


def counts(xml):
    """{source_ip: summed <count>} of a report, namespace or not."""
    out = {}
    for el in ET.fromstring(xml).iter():
        if el.tag.endswith("}row") or el.tag == "row":
            ip = [c.text for c in el if c.tag.endswith("source_ip")][0]
            out[ip] = out.get(ip, 0) + int([c.text for c in el if c.tag.endswith("count")][0])
    return out


def own_report(work):
    """An RFC 9990 report of `report aggregate --dry-run` from rows of a sender history."""
    config, db = report_config(work, "sender")
    out = os.path.join(work, "out")
    os.mkdir(out)
    period = time.strftime("%Y-%m-%d", time.gmtime(DAY))
    check(run("aggregate", "--config", config, "--period", period, "--dry-run", "--out", out).returncode == 0, "schema")
    con = sqlite3.connect(db)
    for i, (ip, passed) in enumerate([("192.0.2.1", True)] * 4 + [("192.0.2.66", False)] * 3):
        add_message(con, "m%d" % i, DAY + 60 + i, ip, "example.com", "pass" if passed else "fail", dkim="example.com")
    con.commit()
    con.close()
    made = run("aggregate", "--config", config, "--period", period, "--dry-run", "--out", out)
    check(made.returncode == 0, "aggregate: %s" % made.stderr)
    names = os.listdir(out)
    check(len(names) == 1, "one report: %s" % names)
    with open(os.path.join(out, names[0]), "rb") as f:
        packed = f.read()
    validate("rfc9990-dmarc-xml-0.2.xsd", work, gzip.decompress(packed))
    return names[0], packed


def summary(config, dns, days=7):
    done = run("summary", "--config", config, "--domain", "example.com", "--json", "--dns", dns.spec,
               "--days", str(days))
    check(done.returncode == 0, "summary: %s" % done.stderr)
    return json.loads(done.stdout)


def main():
    with tempfile.TemporaryDirectory(prefix="domainauth-ingest-e2e-") as work:
        config = os.path.join(work, "domainauth.toml")
        with open(config, "w") as f:
            f.write('[store]\nsqlite_path = "%s"\n' % os.path.join(work, "history.sqlite"))
        name, packed = own_report(work)
        first = report_mail(attachment("application/gzip", name, packed))
        stored = run("ingest", "--config", config, stdin=first)
        check(stored.returncode == 0 and b"stored" in stored.stdout, "ingest: %r %r" % (stored.stdout, stored.stderr))
        again = run("ingest", "--config", config, "--json", stdin=first)
        check(again.returncode == 0 and json.loads(again.stdout)["duplicates"] == 1, "re-sent: %r" % again.stdout)

        yahoo = rfc7489_report("y-1", DAY, [("192.0.2.66", 2, "none", "example.com"),
                                            ("203.0.113.5", 5, "reject", "forger.test")])
        validate("rfc7489-appendixC-rua.no-namespace.xsd", work, yahoo)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("yahoo.test!example.com.xml", yahoo)
        zipped = run("ingest", "--config", config,
                     stdin=report_mail(attachment("application/octet-stream", "yahoo.zip", buffer.getvalue())))
        check(zipped.returncode == 0, "zip: %r" % zipped.stderr)
        old = rfc7489_report("y-old", OLD_DAY, [("192.0.2.1", 11, "none", "example.com")])
        old_file = os.path.join(work, "old.xml.gz")
        with open(old_file, "wb") as f:
            f.write(gzip.compress(old))
        check(run("ingest", "--config", config, old_file).returncode == 0, "file")

        want = counts(gzip.decompress(packed))
        for ip, n in counts(yahoo).items():
            want[ip] = want.get(ip, 0) + n
        records = [("1.2.0.192.in-addr.arpa", "PTR", "mx.example.com"),
                   ("66.2.0.192.in-addr.arpa", "PTR", "mx2.example.com")]
        with DnsServer(records) as dns:
            s = summary(config, dns)
            got = {src["ip"]: src["messages"] for src in s["sources"]}
            check(s["domain"] == "example.com", "domain")
            check(got == want, "per source %s, reports say %s" % (got, want))
            check(s["messages"] == sum(want.values()), "total %d, reports say %d" % (s["messages"], sum(want.values())))
            by_ip = {src["ip"]: src for src in s["sources"]}
            check(by_ip["192.0.2.1"]["ptr"] == "mx.example.com", "PTR: %s" % by_ip["192.0.2.1"])
            check(by_ip["192.0.2.1"]["verdict"] == "pass", "own passing")
            check(by_ip["192.0.2.66"]["verdict"] == "own_failing", "own failing: %s" % by_ip["192.0.2.66"])
            check(by_ip["192.0.2.66"]["reporters"] == ["mx.receiver.test", "yahoo.test"], "reporters")
            check(by_ip["203.0.113.5"]["verdict"] == "stranger", "stranger")
            check(by_ip["203.0.113.5"]["disposition"] == {"reject": 5}, "disposition applied")
            check(s["readiness"]["legitimate_failing"] == 5 and not s["readiness"]["quarantine_safe"], "readiness")
            wide = summary(config, dns, days=40)
            check(wide["messages"] == s["messages"] + 11, "--days 40 takes the old report: %d" % wide["messages"])

        junk = run("ingest", "--config", config, stdin=b"From: a@b\r\nSubject: hi\r\n\r\nhello\r\n")
        check(junk.returncode == 65, "no report: exit %d" % junk.returncode)
        down = os.path.join(work, "down.toml")
        with open(down, "w") as f:
            f.write('[store]\nsqlite_path = "%s"\n' % os.path.join(work, "missing", "h.sqlite"))
        check(run("ingest", "--config", down, stdin=first).returncode == 75, "history down: 75")

        maildir = os.path.join(work, "Maildir")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(maildir, sub))
        with open(os.path.join(maildir, "new", "1.report"), "wb") as f:
            f.write(first)
        with open(os.path.join(maildir, "new", "2.junk"), "wb") as f:
            f.write(b"Subject: x\r\n\r\nno report\r\n")
        md = run("ingest", "--config", config, "--maildir", maildir)
        check(md.returncode == 65, "maildir with junk: %d" % md.returncode)
        check(sorted(os.listdir(os.path.join(maildir, "cur"))) == ["1.report:2,S", "2.junk:2,F"],
              "maildir cur: %s" % os.listdir(os.path.join(maildir, "cur")))
        check(os.listdir(os.path.join(maildir, "new")) == [], "new/ emptied")
        with DnsServer([]) as dns:
            check(summary(config, dns)["messages"] == s["messages"], "nothing counted twice")
        check_failure_reports(config, work)
        check_tls_reports(config, work)
    print("ingest e2e: ok")


def check_tls_reports(config, work):
    """TLS reports by mail (stdin) and as a file; refused when dated in the future."""
    mail = tls_mail(tls_report("Google", "t-1", DAY, 120, [("certificate-expired", 3), ("validation-failure", 1)]))
    piped = run("ingest", "--config", config, stdin=mail)
    check(piped.returncode == 0 and b"stored TLS report t-1 of Google (120 successful, 4 failed sessions)" in piped.stdout,
          "TLS report piped: %r %r" % (piped.stdout, piped.stderr))
    again = json.loads(run("ingest", "--config", config, "--json", stdin=mail).stdout)
    check(again["duplicates"] == 1 and again["results"][0]["kind"] == "tls", "TLS report re-sent: %s" % again)
    path = os.path.join(work, "microsoft.json")
    with open(path, "wb") as f:
        f.write(tls_report("Microsoft", "m-1", DAY, 40, []))
    check(run("ingest", "--config", config, path).returncode == 0, "TLS report as a .json file")
    future = tls_mail(tls_report("Google", "t-future", DAY + 30 * 86400, 1, []))
    refused = run("ingest", "--config", config, stdin=future)
    check(refused.returncode == 65 and b"date-range ends in the future" in refused.stderr,
          "future TLS report refused: %d %r" % (refused.returncode, refused.stderr))
    con = sqlite3.connect(os.path.join(work, "history.sqlite"))
    sums = con.execute("SELECT r.org_name, SUM(p.successful), SUM(p.failed) FROM tls_policies p"
                       " JOIN tls_reports r ON p.report = r.id GROUP BY r.org_name ORDER BY r.org_name").fetchall()
    con.close()
    check(sums == [("Google", 120, 4), ("Microsoft", 40, 0)], "TLS sessions stored: %s" % sums)


def check_failure_reports(config, work):
    """Failure reports through every input: stdin, --maildir, FILE; refusals; the summary's count."""
    failure = failure_report_mail(time.time() - 3600, "203.0.113.9", "<f-1@forger.test>")
    piped = run("ingest", "--config", config, stdin=failure)
    check(piped.returncode == 0 and b"stored failure report (dmarc) from mx.receiver.test for example.com" in piped.stdout,
          "failure report piped: %r %r" % (piped.stdout, piped.stderr))
    again = json.loads(run("ingest", "--config", config, "--json", stdin=failure).stdout)
    check(again["duplicates"] == 1 and again["results"][0]["kind"] == "failure"
          and again["results"][0]["source_ip"] == "203.0.113.9", "failure report re-sent: %s" % again)
    with open(os.path.join(SAMPLES, "abuse.eml"), "rb") as f:
        abuse = run("ingest", "--config", config, stdin=f.read())
    check(abuse.returncode == 65 and b"Feedback-Type abuse is not an authentication failure report" in abuse.stderr,
          "abuse report refused: %d %r" % (abuse.returncode, abuse.stderr))
    example = run("ingest", "--config", config, "--json", os.path.join(SAMPLES, "rfc6591-bodyhash.eml"))
    result = json.loads(example.stdout)["results"][0] if example.returncode == 0 else {}
    check(result.get("domain") == "a.sender.example" and result.get("auth_failure") == "bodyhash",
          "RFC 6591 appendix B as a FILE: %r %r" % (example.stdout, example.stderr))
    maildir = os.path.join(work, "Failures")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub))
    with open(os.path.join(maildir, "new", "1.failure"), "wb") as f:
        f.write(failure_report_mail(time.time() - 7200, "198.51.100.7", "<f-2@forger.test>", auth_failure="spf",
                                    delivery="spam"))
    md = run("ingest", "--config", config, "--maildir", maildir)
    check(md.returncode == 0 and os.listdir(os.path.join(maildir, "cur")) == ["1.failure:2,S"],
          "failure report in a maildir: %d %s" % (md.returncode, os.listdir(os.path.join(maildir, "cur"))))
    with DnsServer([]) as dns:
        check(summary(config, dns)["failure_reports"] == 2, "summary counts the 2 failure reports for example.com")
    con = sqlite3.connect(os.path.join(work, "history.sqlite"))
    rows = con.execute("SELECT * FROM failure_reports").fetchall()
    con.close()
    check(len(rows) == 3, "3 failure reports stored: %d" % len(rows))
    check(not any("SECRET" in str(v) for row in rows for v in row), "the original's body is never stored")


if __name__ == "__main__":
    main()
