"""Rows in the history -> `domainauth report aggregate`:

- --dry-run --out DIR: one gzipped RFC 9990 report per policy domain, named
  receiver!policy-domain!begin!end.xml.gz, valid against the schema (xmllint),
  with the rows' counts; with [report] format = "rfc7489" valid against the
  RFC 7489 appendix C schema;
- --period D: the report mailed through [report] relay (a loopback SMTP capture)
  to the rua= of the domain's DMARC record (served by unbound): Subject per RFC
  9990 3.5, an application/gzip attachment that gunzips to a schema-valid report;
  a second run sends nothing; a foreign rua= is sent only once
  <domain>._report._dmarc.<host> authorizes it (RFC 9990 4); relay down -> exit 2
  and the period is sent on the next run; --force sends again;
- report expire: days kept stay, with the record of their sent reports (no
  second mail); older days go, with that record; --json.
Run inside tests/e2e/lib/netns-run.
"""

import base64
import email
import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from dnsserver import DnsServer
from postfix import CaptureServer

DAY = 1789948800  # 2026-09-21
NEXT_DAY = DAY + 86400
NS = {"d": "urn:ietf:params:xml:ns:dmarc-2.0"}
RELAY_PORT = 2526
RECORDS = [
    ("_dmarc.example.com", "TXT", "v=DMARC1; p=reject; fo=1; rua=mailto:dmarc@reports.example.com"),
    ("_dmarc.example.org", "TXT", "v=DMARC1; p=none; rua=mailto:agg@thirdparty.test,https://example.org/r"),
]
AUTHORIZATION = ("example.org._report._dmarc.thirdparty.test", "TXT", "v=DMARC1")
SUBJECT = re.compile(r"^Report Domain: (\S+) Submitter: mx\.receiver\.test Report-ID: <[!-~]+>$")


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)


def aggregate(domainauth, config, *args):
    return subprocess.run([domainauth, "report", "aggregate", "--config", config, *args],
                          capture_output=True, text=True, timeout=60)


def insert(db, n, ip, domain, result, disposition, t, fo=""):
    con = sqlite3.connect(db)
    for i in range(n):
        mid = "%s-%s-%d-%d" % (domain, ip, t, i)
        con.execute("INSERT INTO messages (id, time, window_begin, window_end, source_ip, header_from, envelope_from,"
                    " spf_result, spf_domain, spf_aligned, policy_domain, p, sp, np, pct, adkim, aspf, testing,"
                    " disposition, result, fo) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (mid, t + i, DAY, DAY + 86400, ip, domain, domain, "pass" if result == "pass" else "fail",
                     domain, 1 if result == "pass" else 0, domain, "reject", "", "", 100, "r", "r", 0,
                     disposition, result, fo))
        con.execute("INSERT INTO dkim_results VALUES (?,?,?,?,?,?)",
                    (mid, 0, "pass" if result == "pass" else "fail", domain, "s1", 1 if result == "pass" else 0))
    con.commit()
    con.close()


def validate(schema, work, xml):
    plain = os.path.join(work, "report.xml")
    with open(plain, "wb") as f:
        f.write(xml)
    lint = subprocess.run(["xmllint", "--noout", "--schema", schema, plain], capture_output=True, text=True)
    check(lint.returncode == 0, "schema: " + lint.stderr)
    return ET.fromstring(xml)


def dry_run(domainauth, config, db, schema, work):
    out = os.path.join(work, "out")
    os.mkdir(out)
    args = ("--period", "2026-09-21", "--dry-run", "--out", out)
    first = aggregate(domainauth, config, *args)  # creates the schema; no rows, no report
    check(first.returncode == 0, "empty history: " + first.stderr)
    check(os.listdir(out) == [], "no report from an empty history")
    insert(db, 3, "192.0.2.1", "example.com", "pass", "none", DAY + 10, fo="1")
    insert(db, 2, "192.0.2.66", "example.com", "fail", "reject", DAY + 20, fo="1")
    insert(db, 1, "198.51.100.5", "example.org", "fail", "none", DAY + 30)
    insert(db, 4, "192.0.2.1", "example.com", "pass", "none", NEXT_DAY + 5)  # the next day
    second = aggregate(domainauth, config, *args, "--json")
    check(second.returncode == 0, "report: " + second.stderr)
    names = sorted(os.listdir(out))
    expected = ["mx.receiver.test!example.com!%d!%d.xml.gz" % (DAY, DAY + 86399),
                "mx.receiver.test!example.org!%d!%d.xml.gz" % (DAY, DAY + 86399)]
    check(names == expected, "file names: %s" % names)
    printed = json.loads(second.stdout)
    check(printed["ok"] and printed["dry_run"] and printed["written"] == 2 and printed["failed"] == 0,
          "--json counts: %s" % printed)
    check(printed["from"] == "2026-09-21" and printed["to"] == "2026-09-21", "--json period: %s" % printed)
    check(sorted((r["domain"], r["file"]) for r in printed["reports"]) ==
          list(zip(["example.com", "example.org"], expected)), "--json reports: %s" % printed["reports"])
    for name in names:
        with gzip.open(os.path.join(out, name)) as f:
            root = validate(schema, work, f.read())
        counts = {r.find("d:row/d:source_ip", NS).text: int(r.find("d:row/d:count", NS).text)
                  for r in root.findall("d:record", NS)}
        policy = root.find("d:policy_published", NS)
        check(policy.find("d:discovery_method", NS).text == "treewalk", "discovery_method of [dmarc] mode")
        if "example.com" in name:
            check(counts == {"192.0.2.1": 3, "192.0.2.66": 2}, "example.com counts: %s" % counts)
            check(root.find("d:report_metadata/d:email", NS).text == "dmarc@receiver.test", "email")
            check(policy.find("d:fo", NS) is not None and policy.find("d:fo", NS).text == "1", "fo from the history")
        else:
            check(counts == {"198.51.100.5": 1}, "example.org counts: %s" % counts)
            check(policy.find("d:fo", NS) is None, "no fo when the history has none")


def dry_run_rfc7489(domainauth, config, work):
    """[report] format = "rfc7489": the same history as RFC 7489 appendix C documents."""
    schema = os.path.join(os.environ["DOMAINAUTH_TESTSUITES"], "dmarc-report",
                          "rfc7489-appendixC-rua.no-namespace.xsd")
    old = os.path.join(work, "domainauth-rfc7489.toml")
    with open(config) as f, open(old, "w") as o:
        o.write(f.read() + 'format = "rfc7489"\n')
    out = os.path.join(work, "out-rfc7489")
    os.mkdir(out)
    run = aggregate(domainauth, old, "--period", "2026-09-21", "--dry-run", "--out", out)
    check(run.returncode == 0, "rfc7489: " + run.stderr)
    names = sorted(os.listdir(out))
    check(len(names) == 2, "rfc7489 files: %s" % names)
    for name in names:
        with gzip.open(os.path.join(out, name)) as f:
            root = validate(schema, work, f.read())
        check(root.tag == "feedback" and root.find("policy_published/pct") is not None, "RFC 7489 document")


def attachment_report(message, schema, work, domain, begin):
    """The report a captured mail carries, after checking its form (RFC 9990 3.5)."""
    parsed = email.message_from_string(message.data)
    subject = " ".join(parsed["Subject"].split())
    match = SUBJECT.match(subject)
    check(match is not None and match.group(1) == domain, "Subject: %r" % subject)
    check(parsed["From"] == "dmarc@receiver.test", "From: %s" % parsed["From"])
    check(parsed["Message-ID"] and parsed["Date"], "Message-ID and Date")
    name = "mx.receiver.test!%s!%d!%d.xml.gz" % (domain, begin, begin + 86399)
    parts = [p for p in parsed.walk() if p.get_content_type() == "application/gzip"]
    check(len(parts) == 1, "one application/gzip part")
    check(parts[0].get_filename() == name, "attachment name %s" % parts[0].get_filename())
    return validate(schema, work, gzip.decompress(base64.b64decode(parts[0].get_payload())))


def wait_count(capture, n):
    deadline = time.monotonic() + 5
    while len(capture.messages) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(capture.messages)


def mailing(domainauth, config, db, schema, work):
    capture = CaptureServer(RELAY_PORT)
    try:
        with DnsServer(RECORDS) as dns:
            first = aggregate(domainauth, config, "--period", "2026-09-21", "--dns", dns.spec)
            check(first.returncode == 0, "send: %d %s" % (first.returncode, first.stderr))
            check(wait_count(capture, 1) == 1, "one mail (example.com only): %d" % len(capture.messages))
            message = capture.messages[0]
            check(message.rcpt_to == ["<dmarc@reports.example.com>"], "rcpt %s" % message.rcpt_to)
            root = attachment_report(message, schema, work, "example.com", DAY)
            check(len(root.findall("d:record", NS)) == 2, "example.com records")
            check("agg@thirdparty.test" in first.stderr and "not_authorized" in first.stderr,
                  "unauthorized foreign rua logged: " + first.stderr)
            check("https://example.org/r" in first.stderr, "non-mailto URI logged: " + first.stderr)
            again = aggregate(domainauth, config, "--period", "2026-09-21", "--dns", dns.spec, "--json")
            check(again.returncode == 0, "second run: " + again.stderr)
            check(wait_count(capture, 2) == 1, "the second run sends nothing")
            printed = json.loads(again.stdout)
            check(printed["ok"] and not printed["dry_run"] and printed["sent"] == 0 and
                  [(r["domain"], r["sent"], r["already"]) for r in printed["reports"]] == [("example.com", 0, 1)],
                  "--json of a period already sent: %s" % printed)
        with DnsServer(RECORDS + [AUTHORIZATION]) as dns:
            authorized = aggregate(domainauth, config, "--period", "2026-09-21", "--dns", dns.spec)
            check(authorized.returncode == 0, "authorized: " + authorized.stderr)
            check(wait_count(capture, 2) == 2, "the authorized foreign rua gets its report")
            message = capture.messages[1]
            check(message.rcpt_to == ["<agg@thirdparty.test>"], "rcpt %s" % message.rcpt_to)
            attachment_report(message, schema, work, "example.org", DAY)
            check(wait_count(capture, 3) == 2, "example.com not sent again")
            capture.close()  # relay down
            down = aggregate(domainauth, config, "--period", "2026-09-22", "--dns", dns.spec, "--json")
            check(down.returncode == 2, "relay down: exit %d %s" % (down.returncode, down.stderr))
            printed = json.loads(down.stdout)
            check(not printed["ok"] and printed["failed"] >= 1 and printed["sent"] == 0,
                  "--json with the relay down: %s" % printed)
            capture = CaptureServer(RELAY_PORT)
            retried = aggregate(domainauth, config, "--from", "2026-09-21", "--to", "2026-09-22", "--dns", dns.spec)
            check(retried.returncode == 0, "retry: " + retried.stderr)
            check(wait_count(capture, 1) == 1, "the failed period is sent on the next run, only it")
            attachment_report(capture.messages[0], schema, work, "example.com", NEXT_DAY)
            forced = aggregate(domainauth, config, "--period", "2026-09-21", "--dns", dns.spec, "--force")
            check(forced.returncode == 0, "force: " + forced.stderr)
            check(wait_count(capture, 3) == 3, "--force sends the period again to both")
            expiry(domainauth, config, db, dns, capture)
    finally:
        capture.close()


def expire(domainauth, config, *args):
    return subprocess.run([domainauth, "report", "expire", "--config", config, *args],
                          capture_output=True, text=True, timeout=60)


def count(db, table):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM " + table).fetchone()[0]
    finally:
        con.close()


def expiry(domainauth, config, db, dns, capture):
    """report expire: days kept stay with the record of their sent reports (no
    second mail); older days go with that record."""
    days_ago = (int(time.time()) // 86400 * 86400 - DAY) // 86400
    messages, sent = count(db, "messages"), count(db, "sent_reports")
    check(messages > 0 and sent == 3, "history before expiry: %d rows, %d sent" % (messages, sent))
    kept = expire(domainauth, config, "--older-than", str(days_ago + 1), "--json")
    check(kept.returncode == 0, "expire keeping the days: " + kept.stderr)
    result = json.loads(kept.stdout)
    check(result == {"ok": True, "older_than_days": days_ago + 1, "before": "2026-09-20", "messages": 0,
                     "sent_reports": 0}, "nothing expired: %s" % result)
    again = aggregate(domainauth, config, "--period", "2026-09-21", "--dns", dns.spec)
    check(again.returncode == 0 and wait_count(capture, 4) == 3, "a kept day is not sent again: " + again.stderr)
    gone = expire(domainauth, config, "--older-than", str(days_ago - 2), "--json")
    check(gone.returncode == 0, "expire: " + gone.stderr)
    result = json.loads(gone.stdout)
    check(result["messages"] == messages and result["sent_reports"] == 3 and result["before"] == "2026-09-23",
          "everything expired: %s" % result)
    check(count(db, "messages") == 0 and count(db, "dkim_results") == 0 and count(db, "sent_reports") == 0,
          "tables empty after expiry")
    text = expire(domainauth, config)  # store.retention_days, 180 by default
    check(text.returncode == 0 and text.stdout.startswith("deleted 0 history row(s)"), "text: " + text.stdout)
    bad = expire(domainauth, config, "--older-than", "0")
    check(bad.returncode == 1, "--older-than 0 is a usage error: %d" % bad.returncode)


def main():
    domainauth = os.environ["DOMAINAUTH"]
    schema = os.path.join(os.environ["DOMAINAUTH_TESTSUITES"], "dmarc-report", "rfc9990-dmarc-xml-0.2.xsd")
    with tempfile.TemporaryDirectory(prefix="domainauth-report-e2e-") as work:
        db = os.path.join(work, "history.sqlite")
        config = os.path.join(work, "domainauth.toml")
        with open(config, "w") as f:
            f.write('[store]\nsqlite_path = "%s"\n[report]\norg_name = "mx.receiver.test"\n'
                    'email = "dmarc@receiver.test"\nrelay = "127.0.0.1:%d"\n' % (db, RELAY_PORT))
        usage = aggregate(domainauth, config, "--period", "2026-09-21", "--dry-run", "--json")
        check(usage.returncode == 1, "--dry-run without --out is a usage error")
        printed = json.loads(usage.stdout)
        check(printed["ok"] is False and "--out" in printed["error"], "--json usage error: %s" % printed)
        dry_run(domainauth, config, db, schema, work)
        dry_run_rfc7489(domainauth, config, work)
        mailing(domainauth, config, db, schema, work)
    print("report e2e: ok")


if __name__ == "__main__":
    main()
