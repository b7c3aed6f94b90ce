"""The dashboard of `domainauth serve` ([web] listen on loopback), end to end:

  (a) a history filled by `domainauth report ingest` (reports from two reporters, as
      mail with zip and gzip attachments, one of them 30 days old) plus DMARC results
      of the history's own messages; PTR names from unbound;
  (b) the JSON pages: /api/summary equals `report summary --json` for the same domain
      and days (the same object: sums, PTR names, verdicts, readiness); /api/timeline's
      report days sum to the summary's pass / fail and its history days count the
      messages table; /api/failures lists the failure reports received in the period
      (RFC 6591, ingested from mail; one 30 days old left out) and the history's DMARC
      failures, each newest first; /api/tls sums the SMTP TLS reports (RFC 8460, mailed
      as application/tlsrpt+gzip) per sending organization, one 30 days old left out;
      /api/domains lists the domain; a malformed domain= or days= is 400;
  (c) headless Chromium (Debian's chromium) loads /dashboard?domain=..., runs its
      script against those pages and the DOM shows the summary's numbers: the total,
      each source's messages and pass/fail counts and verdict, the advice, the received
      failure reports (count and each row's cells equal /api/failures and the summary's
      failure_reports) and the history's failures, and the TLS panel's rows equal /api/tls;
      the page is served with a Content-Security-Policy and Chart.js from /chart.js;
  (d) --screenshot saves a PNG of the page (build/dashboard.png, kept for a look);
  (e) restarted with web.token: 401 with a Basic challenge, the token as Bearer or as
      Basic password opens the pages, and Chromium given it in the URL
      (http://admin:TOKEN@host/) shows the total.
Run inside tests/e2e/lib/netns-run (as root).
"""

import base64
import gzip
import html.parser
import io
import json
import os
import socket
import sqlite3
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

from checks import expect, finish
from daemons import Daemons
from dnsserver import DnsServer
from history import add_message
from reports import attachment, failure_report_mail, report_mail, rfc7489_report, tls_mail, tls_report

DOMAINAUTH = os.environ["DOMAINAUTH"]
WEB_PORT = 18894
TOKEN = "dashboard-e2e-token-0123456789"
DAY = (int(time.time()) // 86400 - 1) * 86400  # yesterday, UTC
SCREENSHOT = os.path.join(os.path.dirname(DOMAINAUTH), "..", "dashboard.png")
# What /api/tls must sum from the TLS reports fill_history ingests (the 30-day-old one out).
TLS_WANT = [{"organization": "Google", "reports": 2, "successful": 1000, "failed": 16,
             "result_types": {"certificate-expired": 13, "starttls-not-supported": 3}},
            {"organization": "Microsoft", "reports": 1, "successful": 70, "failed": 0, "result_types": {}}]
PTRS = [("1.2.0.192.in-addr.arpa", "PTR", "mx.example.com"),
        ("66.2.0.192.in-addr.arpa", "PTR", "mx2.example.com")]


def domainauth(*args, stdin=None):
    return subprocess.run([DOMAINAUTH, *args], input=stdin, capture_output=True, timeout=60)


def get(path, authorization=None):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (WEB_PORT, path))
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def fill_history(config, db):
    """Reports from two reporters (zip and gzip mail, one file 30 days old), and the
    history's own messages for example.com: 3 passing yesterday, 2 failing yesterday,
    1 failing today."""
    yahoo = rfc7489_report("y-1", DAY, [("192.0.2.66", 2, "none", "example.com"),
                                        ("203.0.113.5", 5, "reject", "forger.test")])
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("yahoo.test!example.com.xml", yahoo)
    google = rfc7489_report("g-1", DAY, [("192.0.2.1", 40, "none", "example.com"),
                                         ("192.0.2.66", 3, "none", "example.com")], org="google.test")
    old = rfc7489_report("g-old", DAY - 30 * 86400, [("192.0.2.1", 11, "none", "example.com")], org="google.test")
    failures = (failure_report_mail(DAY + 300, "203.0.113.5", "<f-1@forger.test>"),
                failure_report_mail(DAY + 900, "198.51.100.7", "<f-2@bulk.test>", auth_failure="spf", delivery="spam",
                                    reporter="mx.yahoo.test", mail_from="bounces@bulk.test"),
                failure_report_mail(DAY - 30 * 86400, "203.0.113.5", "<f-old@forger.test>"))
    for mail in (report_mail(attachment("application/octet-stream", "yahoo.zip", zipped.getvalue())),
                 report_mail(attachment("application/gzip", "google.xml.gz", gzip.compress(google))),
                 report_mail(attachment("application/gzip", "old.xml.gz", gzip.compress(old)))) + failures + (
                     tls_mail(tls_report("Google", "t-1", DAY, 900, [("certificate-expired", 12),
                                                                     ("starttls-not-supported", 3)])),
                     tls_mail(tls_report("Google", "t-0", DAY - 86400, 100, [("certificate-expired", 1)])),
                     tls_mail(tls_report("Microsoft", "m-1", DAY, 70, [])),
                     tls_mail(tls_report("Microsoft", "m-old", DAY - 30 * 86400, 5, [("validation-failure", 9)]))):
        done = domainauth("report", "ingest", "--config", config, stdin=mail)
        expect(done.returncode == 0, "ingest: %r" % done.stderr)
    con = sqlite3.connect(db)
    today = DAY + 86400
    own = [(DAY + 100, "192.0.2.1", "pass")] * 3 + [(DAY + 200, "198.51.100.7", "fail")] * 2 + \
        [(today + 10, "198.51.100.8", "fail")]
    for i, (when, ip, result) in enumerate(own):
        failed = result == "fail"
        add_message(con, "own%d" % i, when + i, ip, "example.com", result,
                    envelope_from="bulk.test" if failed else None, p="reject",
                    disposition="reject" if failed else "none",
                    dkim="bulk.test" if failed else "example.com", fo="1")
    con.commit()
    con.close()
    return own


class Dom(html.parser.HTMLParser):
    """The dumped DOM as nested [tag, attrs, children] lists; text as str children."""
    VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr"}

    def __init__(self, text):
        super().__init__()
        self.root = ["#root", {}, []]
        self.stack = [self.root]
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        node = [tag, dict(attrs), []]
        self.stack[-1][2].append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1][2].append(data)

    def all(self, node=None):
        node = node or self.root
        for child in node[2]:
            if isinstance(child, list):
                yield child
                yield from self.all(child)

    def by_id(self, ident):
        return next((n for n in self.all() if n[1].get("id") == ident), None)

    def find(self, node, tag):
        return [n for n in self.all(node) if n[0] == tag]

    @staticmethod
    def text(node):
        return "".join(c if isinstance(c, str) else Dom.text(c) for c in node[2]).strip()


def chromium(*args):
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
                               "--virtual-time-budget=10000", "--window-size=1280,1400", *args],
                              capture_output=True, timeout=60)


def check_json(summary):
    status, _, body = get("/api/domains")
    expect(status == 200 and "example.com" in json.loads(body)["domains"], "/api/domains: %s %s" % (status, body))
    status, _, body = get("/api/timeline?domain=example.com&days=7")
    expect(status == 200, "/api/timeline: %s %s" % (status, body))
    timeline = json.loads(body)
    day = time.strftime("%Y-%m-%d", time.gmtime(DAY))
    today = time.strftime("%Y-%m-%d", time.gmtime(DAY + 86400))
    expect(timeline["reports"] == [{"day": day, "pass": summary["dmarc"]["pass"], "fail": summary["dmarc"]["fail"]}],
           "timeline reports %s, summary %s" % (timeline["reports"], summary["dmarc"]))
    expect(timeline["history"] == [{"day": day, "results": {"pass": 3, "fail": 2}},
                                   {"day": today, "results": {"fail": 1}}], "timeline history %s" % timeline["history"])
    status, _, body = get("/api/failures?domain=example.com&days=7")
    received = json.loads(body)["received"] if status == 200 else []
    expect([(f["reporter"], f["source_ip"], f["auth_failure"], f["delivery_result"], f["envelope_from"])
            for f in received] == [("mx.yahoo.test", "198.51.100.7", "spf", "spam", "<bounces@bulk.test>"),
                                   ("mx.receiver.test", "203.0.113.5", "dmarc", "reject", "<bounce@forger.test>")],
           "received failure reports newest first, the old one out of the period: %s" % received)
    expect(len(received) == summary["failure_reports"], "as many as the summary counts: %s" % summary)
    expect(all(f["header_from"] == "Payroll <payroll@example.com>" and f["subject"] == "Your salary slip"
               for f in received), "the original's From and Subject: %s" % received)
    failures = json.loads(body)["history"] if status == 200 else []
    expect([f["source_ip"] for f in failures] == ["198.51.100.8", "198.51.100.7", "198.51.100.7"],
           "failures newest first: %s" % failures)
    expect(all(f["disposition"] == "reject" and f["dkim"][0]["domain"] == "bulk.test" for f in failures),
           "failure details: %s" % failures)
    status, _, body = get("/api/tls?domain=example.com&days=7")
    expect(status == 200 and json.loads(body)["organizations"] == TLS_WANT, "/api/tls: %s %s" % (status, body))
    for bad in ("/api/tls?domain=example.com&days=99999", "/api/summary?domain=exa%20mple.com", "/api/summary", "/api/timeline?domain=example.com&days=0",
                "/api/summary?domain=example.com&days=x"):
        expect(get(bad)[0] == 400, "%s is 400" % bad)


def check_dom(summary):
    url = "http://127.0.0.1:%d/dashboard?domain=example.com&days=7" % WEB_PORT
    done = chromium("--dump-dom", url)
    expect(done.returncode == 0, "chromium --dump-dom: %r" % done.stderr[-2000:])
    dom = Dom(done.stdout.decode(errors="replace"))
    body = next(iter(dom.find(dom.root, "body")), ["body", {}, []])
    expect(body[1].get("data-state") == "ready",
           "page state %s: %s" % (body[1].get("data-state"), Dom.text(dom.by_id("status") or ["", {}, []])))
    expect(Dom.text(dom.by_id("messages")) == str(summary["messages"]),
           "total shown %s, summary %d" % (Dom.text(dom.by_id("messages")), summary["messages"]))
    expect(Dom.text(dom.by_id("dmarc-fail")) == str(summary["dmarc"]["fail"]), "DMARC fail shown")
    expect(Dom.text(dom.by_id("advice")) == summary["readiness"]["advice"], "advice shown")
    rows = {r[1]["data-ip"]: r for r in dom.find(dom.by_id("sources"), "tr") if "data-ip" in r[1]}
    expect(sorted(rows) == sorted(s["ip"] for s in summary["sources"]), "source rows %s" % sorted(rows))
    for source in summary["sources"]:
        row = rows.get(source["ip"])
        if not row:
            continue
        cells = {c[1].get("class", "").split()[0]: Dom.text(c) for c in dom.find(row, "td")}
        want = {"messages": str(source["messages"]), "ptr": source["ptr"], "verdict": source["verdict"],
                "dmarc": "%d/%d" % (source["dmarc"]["pass"], source["dmarc"]["fail"]),
                "spf": "%d/%d" % (source["spf"]["pass"], source["spf"]["fail"]),
                "dkim": "%d/%d" % (source["dkim"]["pass"], source["dkim"]["fail"])}
        expect({k: cells.get(k) for k in want} == want, "row %s: %s, summary %s" % (source["ip"], cells, want))
    failures = [r for r in dom.find(dom.by_id("failures"), "tr") if dom.find(r, "td")]
    expect(len(failures) == 3, "3 failures shown: %d" % len(failures))
    expect(Dom.text(dom.by_id("failure-reports")) == str(summary["failure_reports"]), "failure reports count shown")
    _, _, body = get("/api/failures?domain=example.com&days=7")
    received = json.loads(body)["received"]
    rows = [r for r in dom.find(dom.by_id("received-failures"), "tr") if dom.find(r, "td")]
    expect(len(rows) == summary["failure_reports"] == 2, "received failure reports shown: %d" % len(rows))
    for row, f in zip(rows, received):
        cells = {c[1].get("class", "").split()[0]: Dom.text(c) for c in dom.find(row, "td")}
        want = {"time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(f["time"])), "reporter": f["reporter"],
                "ip": f["source_ip"], "failed": f["auth_failure"], "from": f["header_from"],
                "mailfrom": f["envelope_from"], "delivery": f["delivery_result"]}
        expect(cells == want, "received row %s, /api/failures %s" % (cells, want))
    tls = {r[1]["data-organization"]: {c[1].get("class", "").split()[0]: Dom.text(c) for c in dom.find(r, "td")}
           for r in dom.find(dom.by_id("tls"), "tr") if "data-organization" in r[1]}
    want = {o["organization"]: {"organization": o["organization"], "reports": str(o["reports"]),
                                "successful": str(o["successful"]), "failed": str(o["failed"]),
                                "types": ", ".join("%s %d" % kv for kv in o["result_types"].items()) or "none"}
            for o in TLS_WANT}
    expect(tls == want, "TLS panel %s, /api/tls %s" % (tls, want))
    canvases = [n for n in dom.find(dom.root, "canvas")]
    expect(len(canvases) == 2 and all("width" in c[1] for c in canvases), "two charts drawn: %s" % canvases)


def check_screenshot():
    if os.path.exists(SCREENSHOT):
        os.remove(SCREENSHOT)
    done = chromium("--screenshot=" + os.path.abspath(SCREENSHOT),
                    "http://127.0.0.1:%d/dashboard?domain=example.com" % WEB_PORT)
    expect(done.returncode == 0, "chromium --screenshot: %r" % done.stderr[-2000:])
    data = open(SCREENSHOT, "rb").read() if os.path.exists(SCREENSHOT) else b""
    expect(data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "screenshot is a PNG")
    width, height = struct.unpack(">II", data[16:24]) if len(data) >= 24 else (0, 0)
    expect(width == 1280 and height == 1400 and len(data) > 20000,
           "screenshot %dx%d, %d octets" % (width, height, len(data)))


def listening():
    try:
        socket.create_connection(("127.0.0.1", WEB_PORT), timeout=1).close()
        return True
    except OSError:
        return False


def write_config(path, dns, db, token=""):
    with open(path, "w") as f:
        f.write("""[dns]
servers = ["{dns}"]
[milter]
listen = ["inet:127.0.0.1:18992"]
[policy]
listen = ["inet:127.0.0.1:18924"]
[daemon]
user = ""
[store]
sqlite_path = "{db}"
[web]
listen = ["inet:127.0.0.1:{web}"]
token = "{token}"
""".format(dns=dns.spec, db=db, web=WEB_PORT, token=token))


def check_token(summary):
    """With web.token: 401 with a Basic challenge (a browser then asks for it), the
    token as Bearer or Basic password opens it, and Chromium given the token in the
    URL shows the same numbers."""
    status, headers, _ = get("/dashboard")
    challenges = headers.get_all("WWW-Authenticate") or []
    expect(status == 401 and any(c.startswith("Basic ") for c in challenges),
           "no token: %d, a Basic challenge: %s" % (status, challenges))
    basic = "Basic " + base64.b64encode(("admin:" + TOKEN).encode()).decode()
    expect(get("/dashboard", basic)[0] == 200, "the token as Basic password")
    expect(get("/api/domains", "Bearer " + TOKEN)[0] == 200, "the token as Bearer")
    expect(get("/api/domains", "Basic " + base64.b64encode(b"admin:wrong").decode())[0] == 401, "a wrong password")
    done = chromium("--dump-dom", "http://admin:%s@127.0.0.1:%d/dashboard?domain=example.com" % (TOKEN, WEB_PORT))
    dom = Dom(done.stdout.decode(errors="replace"))
    total = dom.by_id("messages")
    expect(total and Dom.text(total) == str(summary["messages"]),
           "the token in the URL: Chromium shows %r" % (Dom.text(total) if total else None))


def main():
    with tempfile.TemporaryDirectory(prefix="domainauth-dashboard-e2e-") as work, DnsServer(PTRS) as dns:
        db = os.path.join(work, "history.sqlite")
        config = os.path.join(work, "domainauth.toml")
        write_config(config, dns, db)
        fill_history(config, db)
        done = domainauth("report", "summary", "--config", config, "--domain", "example.com", "--days", "7",
                          "--json", "--dns", dns.spec)
        expect(done.returncode == 0, "report summary: %r" % done.stderr)
        summary = json.loads(done.stdout)
        expect(summary["messages"] == 50 and summary["dmarc"] == {"pass": 0, "fail": 50}, "summary %s" % summary)
        expect(summary["failure_reports"] == 2, "summary counts 2 failure reports in 7 days: %s" % summary)
        daemons = Daemons(work)
        try:
            daemons.start("domainauth", [DOMAINAUTH, "serve", "--config", config],
                          lambda: listening() and get("/api/domains")[0] == 200)
            status, headers, body = get("/api/summary?domain=example.com&days=7")
            expect(status == 200 and json.loads(body) == summary,
                   "/api/summary equals report summary --json:\n%s\n%s" % (body, json.dumps(summary)))
            check_json(summary)
            status, headers, page = get("/dashboard")
            expect(status == 200 and "default-src 'self'" in headers.get("Content-Security-Policy", ""),
                   "page with CSP: %s %s" % (status, headers))
            status, headers, chart = get("/chart.js")
            expect(status == 200 and "Chart.js v3.9" in chart[:200], "Chart.js served: %s" % chart[:80])
            expect(get("/")[2] == page, "/ is the dashboard")
            check_dom(summary)
            check_screenshot()
            daemons.stop()
            write_config(config, dns, db, TOKEN)
            daemons.start("domainauth-token", [DOMAINAUTH, "serve", "--config", config],
                          lambda: listening() and get("/api/domains")[0] == 401)
            check_token(summary)
        finally:
            daemons.stop()
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
