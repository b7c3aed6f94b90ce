"""Policy-service benchmark (issue 7 item 2): the same request stream, the same
unbound, the same run, against `domainauth serve` (policy listener) and against
postfix-policyd-spf-python (Debian), each request a new SMTP transaction; cold
(servers just started, every domain seen for the first time) and warm (the same
stream again) — requests/s and p50/p99 by bench/policy/policy_client (C++, Asio,
one request in flight per connection as Postfix's smtpd does).

policyd-spf reads one request after another on stdin/stdout; here socat spawns one
per connection (as Postfix's spawn(8) would) and it reads /etc/resolv.conf, which
netns-run points at the test unbound on 127.0.0.53. Run inside
tests/e2e/lib/netns-run as root (scripts/bench.sh does). Writes JSON for
bench/report.py.
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "e2e", "lib"))
from dnsserver import DnsServer  # noqa: E402

DOMAINAUTH_PORT = 10023
POLICYD_PORT = 10030
CONNECTIONS = 50
COLD_PASSES = 3  # each server started afresh for each; the ratio is the median of the passes' ratios
PROVIDERS = 20
REQUEST = ("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
           "client_address={ip}\nclient_name=unknown\nreverse_client_name=unknown\n"
           "helo_name={helo}\nsender={sender}\nrecipient=user@example.org\nrecipient_count=0\n"
           "queue_id=\ninstance={instance}\nsize=0\nsasl_method=\nsasl_username=\nsasl_sender=\n"
           "ccert_subject=\nccert_issuer=\nccert_fingerprint=\nencryption_protocol=\n"
           "encryption_cipher=\nencryption_keysize=0\netrn_domain=\nstress=\n\n")


def zone(domains):
    """Realistic SPF data: each domain has its own ip4, a, mx, and an include of one of
    PROVIDERS providers, which include their netblocks (3 DNS levels)."""
    records = []
    for p in range(PROVIDERS):
        records.append((f"_spf.prov{p}.test", "TXT",
                        f"v=spf1 include:_nb1.prov{p}.test include:_nb2.prov{p}.test ~all"))
        records.append((f"_nb1.prov{p}.test", "TXT",
                        " ".join(["v=spf1"] + [f"ip4:10.{p}.{b}.0/24" for b in range(0, 20)] + ["~all"])))
        records.append((f"_nb2.prov{p}.test", "TXT",
                        " ".join(["v=spf1"] + [f"ip6:2001:db8:{p:x}:{b:x}::/64" for b in range(10)] + ["~all"])))
    for d in range(domains):
        name = f"d{d}.bench.test"
        records.append((name, "TXT", f"v=spf1 ip4:198.51.{d % 200}.{d % 250}/32 a mx include:_spf.prov{d % PROVIDERS}.test -all"))
        records.append((name, "A", f"198.18.{d // 250 % 250}.{d % 250 + 1}"))
        records.append((name, "MX", f"10 mx.{name}"))
        records.append((f"mx.{name}", "A", f"198.19.{d // 250 % 250}.{d % 250 + 1}"))
        records.append((f"mail.{name}", "A", f"10.{d % PROVIDERS}.1.{d % 250 + 1}"))
    return records


def requests(domains, path, copies=1):
    """One request per domain, shuffled: 60% pass (provider netblock), 25% fail,
    10% pass by ip4, 5% domains without SPF (none); the stream copies times, each
    copy with instance ids of its own, so no request is answered from the
    policy service's per-transaction cache (the warm pass measures SPF with a
    warm DNS cache, not that cache)."""
    with open(path, "w") as f:
        for copy in range(copies):
            write_stream(f, domains, f"{copy}-{os.path.basename(path)}")


def write_stream(f, domains, tag):
    rng = random.Random(7208)
    order = list(range(domains))
    rng.shuffle(order)
    for n, d in enumerate(order):
        kind = rng.random()
        name = f"d{d}.bench.test"
        if kind < 0.60:
            ip = f"10.{d % PROVIDERS}.{rng.randrange(20)}.{rng.randrange(1, 255)}"
        elif kind < 0.85:
            ip = f"192.0.2.{rng.randrange(1, 255)}"
        elif kind < 0.95:
            ip = f"198.51.{d % 200}.{d % 250}"
        else:
            name = f"nospf{d}.example"
            ip = f"192.0.2.{rng.randrange(1, 255)}"
        f.write(REQUEST.format(ip=ip, helo=f"mail.{name}", sender=f"user{n}@{name}",
                               instance=f"{n:x}.{tag}"))


def wait_port(port, process, what):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


def cpu_seconds(pid, children=False):
    """utime+stime (and the reaped children's, when asked) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def drive(client, port, request_file):
    out = subprocess.run([client, "--connect", f"127.0.0.1:{port}", "--requests", request_file,
                          "--connections", str(CONNECTIONS), "--repeat", "1"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def measure(name, client, port, process, children, passes):
    """passes: (cache, request file, pass number) in order, on this one server process."""
    rows = []
    for cache, request_file, number in passes:
        cpu0 = cpu_seconds(process.pid, children)
        r = drive(client, port, request_file)
        time.sleep(0.5)  # let spawned peers exit and be reaped, so their CPU is counted
        r["server_cpu_s"] = round(cpu_seconds(process.pid, children) - cpu0, 3)
        r.update(server=name, cache=cache, concurrency=CONNECTIONS, **{"pass": number})
        if not children:
            r["server_peak_rss_mb"] = vm_hwm_mb(process.pid)
        rows.append(r)
        print(f"policy: {name} {cache} (pass {number}): {r['requests_per_s']:.0f} req/s, p99 {r['p99_ms']:.2f} ms, "
              f"errors {r['errors']}, actions {r['actions']}", flush=True)
    return rows


def served(name, command, port, stderr, args, children, passes):
    """Starts the server command, waits until it listens on port, runs the passes, stops it."""
    process = subprocess.Popen(command, stderr=stderr)
    try:
        wait_port(port, process, name)
        return measure(name, args.client, port, process, children, passes)
    finally:
        process.terminate()
        process.wait(30)


def run_domainauth(args, dns, work, passes):
    conf = os.path.join(work, "domainauth.toml")
    with open(conf, "w") as f:
        f.write(f'[dns]\nservers = ["{dns.spec}"]\n[policy]\nlisten = ["inet:127.0.0.1:{DOMAINAUTH_PORT}"]\n'
                f'[spf]\nskip_addresses = []\nreceiver = "mx.example.org"\n[daemon]\nlog_level = "warning"\n')
    with open(os.path.join(work, "domainauth.log"), "a") as log:
        return served("domainauth", [args.domainauth, "serve", "--config", conf], DOMAINAUTH_PORT, log, args,
                      False, passes)


def run_policyd(args, work, passes):
    pconf = os.path.join(work, "policyd-spf.conf")
    with open(pconf, "w") as f:
        # As Debian ships it, but checking every client (the stream's are not loopback
        # anyway) and no debug logging (there is no syslog daemon here).
        f.write("debugLevel = 0\nTestOnly = 1\nHELO_reject = Fail\nMail_From_reject = Fail\n"
                "PermError_reject = False\nTempError_Defer = False\nskip_addresses = 127.0.0.0/8\n")
    command = ["socat", f"TCP-LISTEN:{POLICYD_PORT},bind=127.0.0.1,reuseaddr,fork,backlog=256",
               f"EXEC:/usr/bin/policyd-spf {pconf}"]
    return served("policyd-spf-python", command, POLICYD_PORT, subprocess.DEVNULL, args, True, passes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--domainauth", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    domains = 1000 if args.quick else 5000
    work = tempfile.mkdtemp(prefix="domainauth-bench-policy-")
    os.chmod(work, 0o755)
    cold_file = os.path.join(work, "cold.txt")
    requests(domains, cold_file)
    warm_file = os.path.join(work, "warm.txt")
    requests(domains, warm_file, copies=2)
    rows = []
    with DnsServer(zone(domains)) as dns:
        # Each pass starts both servers afresh, ours then the peer, so the two cold
        # figures of a pass are seconds apart; the last pass goes on warm.
        for number in range(1, COLD_PASSES + 1):
            passes = [("cold", cold_file, number)] + ([("warm", warm_file, number)] if number == COLD_PASSES else [])
            rows += run_domainauth(args, dns, work, passes)
            rows += run_policyd(args, work, passes)
    shutil.rmtree(work, ignore_errors=True)
    result = {
        "description": (f"{domains} requests, each a new transaction (own instance) for its own sender domain "
                        f"(ip4, a, mx and a 3-level include: up to 6 DNS lookups), HELO and MAIL FROM checked by "
                        f"both; {CONNECTIONS} concurrent connections, one request in flight each. cold = servers "
                        f"just started, first pass ({COLD_PASSES} passes, each server started afresh for each); warm = "
                        f"the same senders twice more after the last, with new instance ids (SPF evaluated again, "
                        f"DNS answers cached). policyd-spf-python 3.0.4 "
                        f"runs one process per connection under socat (as spawn(8) would); domainauth logs "
                        f"warnings only, policyd-spf debugLevel 0. server_cpu_s: the server's CPU "
                        f"(policyd-spf: socat's reaped children)."),
        "rows": rows,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
