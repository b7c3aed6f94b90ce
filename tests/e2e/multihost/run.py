"""Several hosts, one history, end to end with a real PostgreSQL on loopback.

Two `domainauth serve` instances (two MX hosts: different milter ports, the same
[store] postgresql) each verify messages from their own client address (the
scripted milter client, DNS from tests/e2e/lib/dnsserver.py). Then:
  (a) the shared history holds every message of both hosts, with distinct row ids;
  (b) `domainauth report aggregate` started twice at the same moment (a relay that
      greets late, so the runs overlap), for several
      rounds (the record of sent reports cleared between rounds, so each round
      races for the same period afresh): each rua= destination gets the period
      exactly once per round (a loopback SMTP capture as [report] relay), one run
      sends it and the other reports it already sent, both exit 0;
  (c) the report's counts are the messages of both hosts, per source address;
  (d) what each host's dashboard ([web] listen) shows is both hosts' mail: its history
      timeline counts every message of both; one of the reports sent in (b), piped
      into `report ingest` on the second host, gives the same `report summary --json`
      on either host and the same /api/summary on both dashboards (the messages of
      both hosts per source), and both /metrics count the report as ingested.
Run inside tests/e2e/lib/netns-run (as root).
"""

import base64
import email
import gzip
import json
import os
import sys
import subprocess
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET

from checks import expect, finish
from daemons import Serve
from dnsserver import DnsServer
from milterclient import MilterClient
from postfix import CaptureServer
from postgresql import PostgreSQL

DOMAINAUTH = os.environ["DOMAINAUTH"]
PG_PORT = 55433
RELAY_PORT = 2527
HOSTS = [  # milter port, client address, messages
    (18971, "192.0.2.10", 5),
    (18972, "192.0.2.20", 3),
]
WEB_PORTS = [18895, 18896]
ROUNDS = 6
DESTINATIONS = ["<dmarc@sender.test>", "<agg@sender.test>"]
RECORDS = [
    ("sender.test", "TXT", "v=spf1 ip4:192.0.2.0/24 -all"),
    ("_dmarc.sender.test", "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@sender.test,mailto:agg@sender.test"),
]
NS = {"d": "urn:ietf:params:xml:ns:dmarc-2.0"}


class SlowRelay(CaptureServer):
    """Greets 0.3 s late: a run sending a period is still at it when the other one
    starts, so without the lock both would send."""

    def _session(self, conn):
        time.sleep(0.3)
        super()._session(conn)


def write_config(path, dns_spec, conninfo, milter_port, web_port, name):
    with open(path, "w") as f:
        f.write("""[dns]
servers = ["{dns}"]
[milter]
listen = ["inet:127.0.0.1:{milter}"]
authserv_id = "{name}"
[policy]
listen = ["inet:127.0.0.1:{policy}"]
[daemon]
user = ""
[store]
backend = "postgresql"
postgresql = "{conninfo}"
[report]
org_name = "receiver.test"
email = "dmarc@receiver.test"
relay = "127.0.0.1:{relay}"
[web]
listen = ["inet:127.0.0.1:{web}"]
""".format(dns=dns_spec, milter=milter_port, policy=milter_port + 100, name=name, conninfo=conninfo, relay=RELAY_PORT,
           web=web_port))


def send(port, address, n):
    for i in range(n):
        with MilterClient("inet:127.0.0.1:%d" % port) as m:
            m.optneg()
            m.macros("C", {"j": "mx.receiver.test", "{daemon_name}": "smtpd"})
            m.connect("mail.sender.test", "4", 25, address)
            m.helo("mail.sender.test")
            headers = [("From", "a@sender.test"), ("To", "b@receiver.test"),
                       ("Subject", "host %d message %d" % (port, i)),
                       ("Message-ID", "<%d-%d@sender.test>" % (port, i))]
            result = m.message(headers, b"Hello.\r\n", sender="<a@sender.test>", recipients=("<b@receiver.test>",))
            expect(result.reply.code == "a" or result.reply.code == "c",
                   "message accepted: %s" % (result.reply,))
            m.quit()


def wait_rows(pg, n):
    """Until the hosts' writers stored n rows. A writer connects, and creates the
    schema, when its first rows are due (up to 100 ms after their messages), so the
    table may not exist yet at the first look."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        count = pg.sql("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'messages'")[0]
        if int(count) and int(pg.sql("SELECT COUNT(*) FROM messages")[0]) >= n:
            return
        time.sleep(0.1)


def race(configs, dns_spec, day):
    """Both report runs started together; their (returncode, json, stderr)."""
    argv = ["report", "aggregate", "--period", day, "--dns", dns_spec, "--json"]
    runs = [subprocess.Popen([DOMAINAUTH, *argv, "--config", c], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for c in configs]
    out = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=60)
        out.append((run.returncode, json.loads(stdout) if stdout.strip() else {}, stderr))
    return out


def report_counts(message):
    parsed = email.message_from_string(message.data)
    parts = [p for p in parsed.walk() if p.get_content_type() == "application/gzip"]
    expect(len(parts) == 1, "one report attachment")
    root = ET.fromstring(gzip.decompress(base64.b64decode(parts[0].get_payload())))
    counts = {}
    for record in root.findall("d:record", NS):
        ip = record.find("d:row/d:source_ip", NS).text
        counts[ip] = counts.get(ip, 0) + int(record.find("d:row/d:count", NS).text)
    return counts


def wait_count(capture, n):
    deadline = time.monotonic() + 5
    while len(capture.messages) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # a mail too many would arrive now
    return len(capture.messages)


def rounds(pg, configs, dns_spec, capture, day):
    expected = {address: n for _, address, n in HOSTS}
    for r in range(ROUNDS):
        pg.sql("DELETE FROM sent_reports")
        before = len(capture.messages)
        results = race(configs, dns_spec, day)
        for code, printed, stderr in results:
            expect(code == 0, "round %d: exit %d: %s" % (r, code, stderr))
        mails = capture.messages[before:wait_count(capture, before + len(DESTINATIONS))]
        got = sorted(rcpt for m in mails for rcpt in m.rcpt_to)
        expect(got == sorted(DESTINATIONS), "round %d: each destination once: %s" % (r, got))
        sent = sum(p.get("sent", 0) for _, p, _ in results)
        already = sum(rep["already"] for _, p, _ in results for rep in p.get("reports", []))
        expect(sent == len(DESTINATIONS) and already == len(DESTINATIONS),
               "round %d: one run sends, the other finds it sent: %s" % (r, [p for _, p, _ in results]))
        recorded = int(pg.sql("SELECT COUNT(*) FROM sent_reports")[0])
        expect(recorded == len(DESTINATIONS), "round %d: sent_reports rows %d" % (r, recorded))
        for m in mails:
            counts = report_counts(m)
            expect(counts == expected, "round %d: report counts %s, want %s" % (r, counts, expected))


def web(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as response:
        return response.read().decode()


def shared_views(configs, dns_spec, capture):
    total = sum(n for _, _, n in HOSTS)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    for port in WEB_PORTS:
        history = json.loads(web(port, "/api/timeline?domain=sender.test&days=1"))["history"]
        expect(history == [{"day": today, "results": {"pass": total}}],
               "dashboard on %d: both hosts' messages in the history: %s" % (port, history))
    report = next(m for m in capture.messages if "<dmarc@sender.test>" in m.rcpt_to)
    done = subprocess.run([DOMAINAUTH, "report", "ingest", "--config", configs[1]], input=report.data.encode(),
                          capture_output=True, timeout=30)
    expect(done.returncode == 0, "ingest on the second host: %r" % done.stderr)
    summaries = []
    for config in configs:
        done = subprocess.run([DOMAINAUTH, "report", "summary", "--config", config, "--domain", "sender.test",
                               "--days", "1", "--json", "--dns", dns_spec], capture_output=True, timeout=30)
        expect(done.returncode == 0, "summary: %r" % done.stderr)
        summaries.append(json.loads(done.stdout) if done.returncode == 0 else {})
    want = {address: n for _, address, n in HOSTS}
    got = {s["ip"]: s["messages"] for s in summaries[0].get("sources", [])}
    expect(got == want and summaries[0].get("messages") == total, "summary counts both hosts: %s" % got)
    expect(summaries[0] == summaries[1], "both hosts' report summary agree")
    for port in WEB_PORTS:
        shown = json.loads(web(port, "/api/summary?domain=sender.test&days=1"))
        expect(shown == summaries[0], "dashboard on %d shows the summary: %s" % (port, shown))
        metrics = web(port, "/metrics")
        expect("\ndomainauth_reports_ingested_total{kind=\"aggregate\"} 1\n" in metrics, "/metrics on %d counts the report" % port)


def main():
    with tempfile.TemporaryDirectory(prefix="domainauth-multihost-e2e-") as work, \
            PostgreSQL(PG_PORT) as pg, DnsServer(RECORDS) as dns:
        day = time.strftime("%Y-%m-%d", time.gmtime())
        configs, daemons = [], []
        capture = SlowRelay(RELAY_PORT)
        try:
            for i, (port, _, _) in enumerate(HOSTS):
                config = os.path.join(work, "mx%d.toml" % i)
                write_config(config, dns.spec, pg.conninfo, port, WEB_PORTS[i], "mx%d.receiver.test" % i)
                configs.append(config)
            for config, (port, _, _) in zip(configs, HOSTS):  # both start on the empty database at once
                daemons.append(Serve(DOMAINAUTH, config))
            for port, address, n in HOSTS:
                send(port, address, n)
            total = sum(n for _, _, n in HOSTS)
            wait_rows(pg, total)
            rows = pg.sql("SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT source_ip) FROM messages")[0]
            expect(rows == "%d|%d|%d" % (total, total, len(HOSTS)),
                   "both hosts' rows, distinct ids (count|ids|sources): %s" % rows)
            ids = pg.sql("SELECT id FROM messages")
            expect(all(len(i) == 32 and all(c in "0123456789abcdef" for c in i) for i in ids), "128-bit hex ids")
            rounds(pg, configs, dns.spec, capture, day)
            shared_views(configs, dns.spec, capture)
        finally:
            capture.close()
            for d in daemons:
                d.stop()
            for d in daemons:
                if d.process.returncode not in (0, None):
                    print(d.log())
    sys.exit(finish())


if __name__ == "__main__":
    main()
