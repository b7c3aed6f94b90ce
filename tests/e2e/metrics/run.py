"""`domainauth serve` with [web] listen: Prometheus metrics at /metrics, end to end.

  (a) N messages from an outside client through a real Postfix 3.7 (the daemon as its
      milter) raise domainauth_messages_total by exactly N, all direction="verify",
      action="accept"; each gets an spf and a dmarc result; DNS queries are counted;
  (b) `promtool check metrics` (Debian's prometheus package) accepts the output, which
      counts the reports `report ingest` (another process) stored, by kind (aggregate,
      failure), and refused, read from the history;
  (c) the listener asks for web.token (401 without it, 200 with it), answers 405 to a
      POST, 404 to an unknown path, 400 to a malformed request and 431 to a head over
      8 KiB, and closes a client that sends nothing within its read timeout;
  (d) a web.listen address beyond loopback without web.token is a configuration error
      (serve exits 1 naming web.listen and web.token; serve --check says the same).
Run inside tests/e2e/lib/netns-run (as root).
"""

import gzip
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from checks import expect, finish
from daemons import Serve
from dnsserver import DnsServer
from postfix import Postfix
from reports import attachment, failure_report_mail, report_mail, rfc7489_report

DOMAINAUTH = os.environ["DOMAINAUTH"]
MILTER_PORT = 18991
POLICY_PORT = 18923
WEB_PORT = 18893
TOKEN = "metrics-e2e-token-0123456789"
OUTSIDE = "127.0.0.20"
MESSAGES = 7
READ_TIMEOUT_SECONDS = 10  # web::ServerOptions::timeout
SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def write_config(path, folder, dns_spec, web_listen, token):
    with open(path, "w") as f:
        f.write("""[dns]
servers = ["{dns}"]
[milter]
listen = ["inet:127.0.0.1:{milter}"]
authserv_id = "mx.metrics.test"
[policy]
listen = ["inet:127.0.0.1:{policy}"]
[daemon]
user = ""
[store]
sqlite_path = "{folder}/history.sqlite"
[web]
listen = ["{web}"]
token = "{token}"
""".format(dns=dns_spec, milter=MILTER_PORT, policy=POLICY_PORT, folder=folder, web=web_listen, token=token))


def get(path, token=TOKEN, method="GET"):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (WEB_PORT, path), method=method)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type"), response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def raw(data, wait_close=False):
    """Sends data as is; returns the status line's code (or None when closed unanswered)."""
    with socket.create_connection(("127.0.0.1", WEB_PORT), timeout=READ_TIMEOUT_SECONDS + 5) as s:
        if data:
            s.sendall(data)
        reply = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    if not reply:
        return None
    return int(reply.split(b" ", 2)[1])


def scrape():
    status, content_type, body = get("/metrics")
    if status != 200:
        raise AssertionError("/metrics answered %d: %s" % (status, body))
    return content_type, body


def total(body, name, **labels):
    """Sum of the samples of name whose labels include the given ones."""
    out = 0.0
    for line in body.splitlines():
        m = SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            out += float(m.group(3))
    return out


def message(i):
    return ("From: Sender <a@sender.test>\r\nTo: b@example.org\r\nSubject: metrics %d\r\n"
            "Message-ID: <metrics-%d@sender.test>\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\nHello %d.\r\n"
            % (i, i, i))


def check_messages(folder, dns):
    config = os.path.join(folder, "domainauth.toml")
    write_config(config, folder, dns.spec, "inet:127.0.0.1:%d" % WEB_PORT, TOKEN)
    daemon = Serve(DOMAINAUTH, config)
    try:
        content_type, before = scrape()
        expect(content_type == "text/plain; version=0.0.4; charset=utf-8", "content type: %s" % content_type)
        milter = {"smtpd_milters": "inet:127.0.0.1:%d" % MILTER_PORT, "milter_default_action": "tempfail",
                  "milter_protocol": "6"}
        with Postfix(smtpd_port=2625, sink_port=2626, main_cf=milter) as mta:
            for i in range(MESSAGES):
                mta.send("a@sender.test", ["b@example.org"], message(i), source=OUTSIDE, helo="mail.sender.test")
            for i in range(MESSAGES):
                mta.wait_for_message(lambda m, i=i: "<metrics-%d@sender.test>" % i in m.data)
        check_ingest_counts(config, before)
        _, after = scrape()
        rose = total(after, "domainauth_messages_total") - total(before, "domainauth_messages_total")
        expect(rose == MESSAGES, "messages counter rose by %s, want exactly %d" % (rose, MESSAGES))
        accepted = (total(after, "domainauth_messages_total", direction="verify", action="accept")
                    - total(before, "domainauth_messages_total", direction="verify", action="accept"))
        expect(accepted == MESSAGES, "verify/accept rose by %s, want %d" % (accepted, MESSAGES))
        spf_pass = total(after, "domainauth_verification_results_total", method="spf", result="pass")
        expect(spf_pass == MESSAGES, "spf pass results: %s, want %d" % (spf_pass, MESSAGES))
        dmarc = total(after, "domainauth_verification_results_total", method="dmarc")
        expect(dmarc == MESSAGES, "dmarc results: %s, want %d" % (dmarc, MESSAGES))
        dkim_none = total(after, "domainauth_verification_results_total", method="dkim", result="none")
        expect(dkim_none == MESSAGES, "dkim none results: %s, want %d" % (dkim_none, MESSAGES))
        queries = total(after, "domainauth_dns_queries_total")
        expect(queries >= 2, "DNS queries counted: %s" % queries)
        expect(total(after, "domainauth_dns_query_duration_seconds_count") == queries,
               "DNS histogram count equals the queries")
        expect(total(after, "domainauth_message_duration_seconds_count") == MESSAGES,
               "message histogram count %s" % total(after, "domainauth_message_duration_seconds_count"))
        expect("domainauth_history_queue_depth " in after, "history queue depth exported")
        expect("domainauth_milter_sessions " in after and "domainauth_policy_sessions " in after, "session gauges")
        check = subprocess.run(["promtool", "check", "metrics"], input=after, text=True, capture_output=True)
        expect(check.returncode == 0, "promtool check metrics: %s%s" % (check.stdout, check.stderr))
        check_refusals()
    finally:
        daemon.stop()
    expect("event=started" in daemon.log() and "web=inet:127.0.0.1:%d" % WEB_PORT in daemon.log(),
           "start line names the web listener")


def check_ingest_counts(config, before):
    """report ingest (its own process) stores one report and refuses one mail; /metrics
    reads both counts from the history."""
    expect(total(before, "domainauth_reports_ingested_total") == 0, "no reports ingested at first")
    report = report_mail(attachment("application/gzip", "r.xml.gz",
                                    gzip.compress(rfc7489_report("m-1", int(time.time()) // 86400 * 86400 - 86400,
                                                                 [("192.0.2.66", 2, "none", "example.com")]))))
    failure = failure_report_mail(time.time() - 60, "203.0.113.9", "<m-1@forger.test>")
    for mail, status in ((report, 0), (report, 0), (failure, 0), (failure, 0),
                         (b"Subject: x\r\n\r\nno report here\r\n", 65)):
        done = subprocess.run([DOMAINAUTH, "report", "ingest", "--config", config], input=mail, capture_output=True,
                              timeout=30)
        expect(done.returncode == status, "ingest exit %d, want %d: %r" % (done.returncode, status, done.stderr))
    _, body = scrape()
    expect(total(body, "domainauth_reports_ingested_total", kind="aggregate") == 1,
           "aggregate reports ingested: 1 (the second a duplicate)")
    expect(total(body, "domainauth_reports_ingested_total", kind="failure") == 1,
           "failure reports ingested: 1 (the second a duplicate)")
    expect(total(body, "domainauth_reports_refused_total") == 1, "reports refused: 1")


def check_refusals():
    status, _, _ = get("/metrics", token=None)
    expect(status == 401, "no token: %d" % status)
    status, _, _ = get("/metrics", token="wrong-token-0123456789")
    expect(status == 401, "wrong token: %d" % status)
    status, _, _ = get("/metrics", method="POST")
    expect(status == 405, "POST: %d" % status)
    status, _, _ = get("/nothing")
    expect(status == 404, "unknown path: %d" % status)
    expect(raw(b"NONSENSE\r\n\r\n") == 400, "malformed request line")
    huge = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n"
    expect(raw(huge) == 431, "head over 8 KiB")
    started = time.monotonic()
    expect(raw(b"GET /metrics HTTP/1.1\r\n") is None, "a stalled client is closed unanswered")
    took = time.monotonic() - started
    expect(READ_TIMEOUT_SECONDS - 1 <= took <= READ_TIMEOUT_SECONDS + 3, "closed after %.1f s" % took)


def check_non_loopback_refused(folder, dns):
    config = os.path.join(folder, "open.toml")
    write_config(config, folder, dns.spec, "inet:0.0.0.0:%d" % (WEB_PORT + 1), "")
    for extra in ([], ["--check"]):
        run = subprocess.run([DOMAINAUTH, "serve", "--config", config] + extra, capture_output=True, text=True,
                             timeout=20)
        expect(run.returncode == 1, "serve %s with 0.0.0.0 and no token exits 1, got %d" % (extra, run.returncode))
        expect("web.listen" in run.stderr and "web.token" in run.stderr,
               "the error names web.listen and web.token: %s" % run.stderr.strip())


def main():
    records = [
        ("sender.test", "TXT", "v=spf1 ip4:%s -all" % OUTSIDE),
        ("_dmarc.sender.test", "TXT", "v=DMARC1; p=none"),
    ]
    with tempfile.TemporaryDirectory(prefix="domainauth-metrics-") as folder, DnsServer(records) as dns:
        check_non_loopback_refused(folder, dns)
        check_messages(folder, dns)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
