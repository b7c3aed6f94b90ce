"""Full-stack benchmark through real Postfix (issue 7 item 1, issue 4 item 7):
smtp-source -> Postfix 3.7 (tests/e2e/lib/postfix.py) -> filters -> smtp-sink, all on
loopback inside tests/e2e/lib/netns-run with the test unbound (tests/e2e/lib/dnsserver.py)
on 127.0.0.1:5353 and 127.0.0.53:53. Setups, each at 10 and 100 parallel sessions with
4 KB and 100 KB messages:
  postfix alone; OpenDKIM signing (Mode s, RSA-2048); the inbound peer stack OpenDKIM
  (Mode sv, verifying) + OpenDMARC + policyd-spf-python (check_policy_service);
  the floor (bench/floor_milter.cpp: a canned-reply milter, with --floor BINARY);
  domainauth signing (RSA-2048 and Ed25519) and domainauth SPF+DKIM+DMARC (`domainauth
  serve`'s milter); then the milter's RSS with 1000 idle connections and while one 50 MB
  message passes. With --baseline BINARY the domainauth setups run a second time with that
  binary (an older build), in the same run. --setups picks some of them (names in SETUPS).
The cryptography in each message (an RSA-2048 or Ed25519 signature, an RSA-2048
verification, SHA-256 of the message) is timed by `openssl speed` in the same run, before
the setups, and subtracted from the filter CPU per message (the cost beyond the crypto,
issue 20: at most 0.2 ms signing, 0.4 ms inbound in all).
Figures per row: messages/s, the filters' CPU-seconds per 1000 messages (from
/proc/<pid>/stat before/after, children included), the filters' peak RSS (VmHWM).
Before any load, a check message must come out signed (signing setups) or with dkim,
dmarc and spf pass (inbound setups), else the run stops. Added latency: time per
message at an SMTP client on loopback (1 and 10 clients), minus Postfix alone's.
Writes JSON for bench/report.py. Keys live under /var/lib (OpenDKIM refuses
world-writable folders).
"""

import argparse
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from statistics import median

import cpu_profile
from dnsserver import DnsServer
from postfix import Postfix

SMTPD_PORT = 2525
SINK_PORT = 2600
POLICYD_PORT = 10030
AUTHSERV = "mx.postfix.test"
SESSIONS = (10, 100)
SIZES = (("4KB", 4 * 1024), ("100KB", 100 * 1024))
# The inbound sender's domain. Not under .test: OpenDKIM's libunbound answers every
# name under the special-use zones it serves itself (test., invalid., onion., ...)
# with NXDOMAIN without asking the forwarder, so it never saw the key ("key not found
# in DNS") and skipped the RSA verification.
SENDER_DOMAIN = "sender.example.net"
SENDER = "joe@" + SENDER_DOMAIN
LATENCY_SESSIONS = (1, 10)
SETUPS = ("alone", "floor", "opendkim", "peers", "sign-rsa", "sign-ed25519", "inbound")
FLOOR = "floor: a canned-reply milter (bench/floor_milter.cpp)"
# The goals of issue 20 per 4 KB message: the CPU beyond the cryptography when signing,
# and the whole CPU of the inbound checks.
GOAL_SIGN_NON_CRYPTO_MS = 0.2
GOAL_INBOUND_MS = 0.4
DELAYS = re.compile(r"to=<[^>]*>.*delays=([0-9.]+)/.*status=sent")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def message(sender, size, signer=None):
    head = (f"From: Joe <{sender}>\r\nTo: ann@example.org\r\nSubject: benchmark message\r\n"
            f"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <bench-{size}@{sender.split('@')[1]}>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
    line = "The quarterly figures are attached; please review them before Friday.  Thanks!\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    text = head + body
    return signer(text) if signer else text


class Proc:
    """CPU and peak RSS of a filter process and its children (live and reaped)."""

    def __init__(self, process, name):
        self.process, self.name = process, name

    @staticmethod
    def _stat(pid):
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()

    def _children(self):
        out = []
        for path in glob.glob("/proc/[0-9]*/stat"):
            try:
                if int(self._stat(path.split("/")[2])[1]) == self.process.pid:
                    out.append(int(path.split("/")[2]))
            except (OSError, ValueError, IndexError):
                pass
        return out

    def cpu(self):
        tick = os.sysconf("SC_CLK_TCK")
        f = self._stat(self.process.pid)
        total = sum(int(x) for x in f[11:15])  # utime stime cutime cstime
        for child in self._children():
            try:
                total += sum(int(x) for x in self._stat(child)[11:13])
            except OSError:
                pass
        return total / tick

    def faults_and_switches(self):
        """Minor page faults and context switches (voluntary and not) summed over the process's threads."""
        faults = switches = 0
        for task in glob.glob(f"/proc/{self.process.pid}/task/[0-9]*"):
            try:
                with open(f"{task}/stat") as f:
                    faults += int(f.read().rsplit(")", 1)[1].split()[7])
                with open(f"{task}/status") as f:
                    switches += sum(int(l.split()[1]) for l in f
                                    if l.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")))
            except (OSError, ValueError, IndexError):
                pass
        return faults, switches

    def rss_mb(self):
        total = 0
        for pid in [self.process.pid] + self._children():
            try:
                with open(f"/proc/{pid}/status") as f:
                    total += next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
            except (OSError, StopIteration):
                pass
        return total / 1024


def wait_socket(path_or_port, process, what):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if isinstance(path_or_port, int):
                socket.create_connection(("127.0.0.1", path_or_port), timeout=1).close()
            else:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path_or_port)
                s.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up")


class World:
    def __init__(self, work, dns_spec):
        self.work, self.dns_spec = work, dns_spec
        self.filters = []

    def socket_dir(self, user):
        """A folder the filter's user owns (it makes its socket after dropping root)."""
        path = os.path.join(self.work, f"sock-{user}")
        os.makedirs(path, 0o755, exist_ok=True)
        shutil.chown(path, user, user)
        return path

    def opendkim(self, mode):
        conf = os.path.join(self.work, f"opendkim-{mode}.conf")
        sock = os.path.join(self.socket_dir("opendkim"), f"opendkim-{mode}.sock")
        # Nameservers: its libunbound forwards to the test unbound (the inbound domain
        # is outside the zones libunbound answers itself: see SENDER_DOMAIN).
        with open(conf, "w") as f:
            f.write(f"Syslog no\nUMask 000\nUserID opendkim\nSocket local:{sock}\nMode {mode}\n"
                    f"Domain example.com\nSelector sel\nKeyFile {self.work}/keys/sel.private\n"
                    f"Canonicalization relaxed/relaxed\nSignatureAlgorithm rsa-sha256\n"
                    f"InternalHosts csl:{'127.0.0.1' if mode == 's' else '192.0.2.254'}\n"
                    f"Nameservers 127.0.0.1@5353\nAuthservID {AUTHSERV}\nPidFile {self.socket_dir('opendkim')}/opendkim-{mode}.pid\n")
        p = subprocess.Popen(["opendkim", "-f", "-x", conf], stderr=open(conf + ".log", "w"))
        wait_socket(sock, p, "opendkim")
        self.filters.append(Proc(p, "opendkim"))
        return f"unix:{sock}"

    def opendmarc(self):
        conf = os.path.join(self.work, "opendmarc.conf")
        sock = os.path.join(self.socket_dir("opendmarc"), "opendmarc.sock")
        ignore = os.path.join(self.work, "opendmarc.ignore")
        with open(ignore, "w") as f:
            f.write("192.0.2.254\n")
        with open(conf, "w") as f:
            f.write(f"Syslog false\nUMask 000\nUserID opendmarc\nSocket local:{sock}\nAuthservID {AUTHSERV}\n"
                    f"TrustedAuthservIDs {AUTHSERV}\nIgnoreHosts {ignore}\nRejectFailures false\n"
                    f"SPFIgnoreResults false\nSPFSelfValidate false\nFailureReports false\n"
                    f"PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat\n"
                    f"PidFile {self.socket_dir('opendmarc')}/opendmarc.pid\n")
        p = subprocess.Popen(["opendmarc", "-f", "-c", conf], stderr=open(conf + ".log", "w"))
        wait_socket(sock, p, "opendmarc")
        self.filters.append(Proc(p, "opendmarc"))
        return f"unix:{sock}"

    def policyd_spf(self):
        conf = os.path.join(self.work, "policyd-spf.conf")
        with open(conf, "w") as f:
            f.write("debugLevel = 0\nTestOnly = 1\nHELO_reject = Fail\nMail_From_reject = Fail\n"
                    "PermError_reject = False\nTempError_Defer = False\nskip_addresses = 192.0.2.254/32\n")
        p = subprocess.Popen(["socat", f"TCP-LISTEN:{POLICYD_PORT},bind=127.0.0.1,reuseaddr,fork,backlog=256",
                              f"EXEC:/usr/bin/policyd-spf {conf}"], stderr=subprocess.DEVNULL)
        wait_socket(POLICYD_PORT, p, "socat + policyd-spf")
        self.filters.append(Proc(p, "policyd-spf"))
        return f"check_policy_service inet:127.0.0.1:{POLICYD_PORT}"

    def domainauth(self, binary, name, internal_hosts, key="sel"):
        """`domainauth serve` as a milter on a unix socket: signing mail of example.com
        from internal_hosts with the key of selector `key` (sel: the one OpenDKIM uses;
        ed: Ed25519), verifying the rest."""
        # A history file of its own: a baseline build must not open (and refuse) a
        # newer build's schema, nor any setup start with another's rows.
        history = tempfile.mkstemp(prefix=f"history-{name}-", suffix=".sqlite", dir=self.work)
        os.close(history[0])
        sock_dir = os.path.join(self.work, "sock-domainauth")
        os.makedirs(sock_dir, 0o755, exist_ok=True)
        sock = os.path.join(sock_dir, f"{name}.sock")
        conf = os.path.join(self.work, f"{name}.toml")
        hosts = ", ".join(f'"{h}"' for h in internal_hosts)
        with open(conf, "w") as f:
            f.write(f'[dns]\nservers = ["{self.dns_spec}"]\n[milter]\nlisten = ["unix:{sock}"]\n'
                    f'socket_mode = "0666"\nauthserv_id = "{AUTHSERV}"\nreceived_spf = true\n'
                    f'[sign]\ninternal_hosts = [{hosts}]\n'
                    f'[[sign.key]]\ndomain = "example.com"\nselector = "{key}"\nkey_file = "{self.work}/keys/{key}.private"\n'
                    f'[store]\nsqlite_path = "{history[1]}"\n'
                    f'[daemon]\nuser = ""\nlog_level = "warning"\n')
        p = subprocess.Popen([binary, "serve", "--config", conf], stderr=open(conf + ".log", "w"))
        wait_socket(sock, p, "domainauth serve")
        self.filters.append(Proc(p, "domainauth"))
        self.milter_socket = sock
        return f"unix:{sock}"

    def floor(self, binary):
        """The least any milter costs at Postfix's cadence: same steps as ours, canned replies."""
        sock = os.path.join(self.work, "floor.sock")
        p = subprocess.Popen([binary, sock], stderr=open(sock + ".log", "w"))
        wait_socket(sock, p, "floor_milter")
        self.filters.append(Proc(p, "floor_milter"))
        return f"unix:{sock}"

    def stop(self):
        for f in self.filters:
            f.process.terminate()
            try:
                f.process.wait(20)
            except subprocess.TimeoutExpired:
                f.process.kill()
        self.filters = []


def sent_delays(mta, skip):
    lines = mta.maillog().splitlines()[skip:]
    return [float(m.group(1)) for m in map(DELAYS.search, lines) if m]


def load(mta, world, sessions, count, msg_file, sender):
    """One row: smtp-source sends count messages; waits until the sink got all."""
    skip = len(mta.maillog().splitlines())
    cpu0 = sum(f.cpu() for f in world.filters)
    events0 = [f.faults_and_switches() for f in world.filters]
    t0 = time.monotonic()
    source = subprocess.run(["smtp-source", "-s", str(sessions), "-m", str(count), "-F", msg_file, "-f", sender,
                             "-t", "ann@example.org", "-M", f"client.{SENDER_DOMAIN}", f"127.0.0.1:{SMTPD_PORT}"],
                            capture_output=True, text=True, timeout=1800)
    errors = source.stderr.strip().splitlines()
    expected = count if source.returncode == 0 else len(re.findall(r"status=sent|status=bounced|reject:",
                                                                  "\n".join(mta.maillog().splitlines()[skip:])))
    deadline = time.monotonic() + (600 if source.returncode == 0 else 10)
    while len(delays := sent_delays(mta, skip)) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.monotonic() - t0
    cpu = sum(f.cpu() for f in world.filters) - cpu0
    events = [tuple(b - a for a, b in zip(e0, f.faults_and_switches())) for e0, f in zip(events0, world.filters)]
    delays.sort()
    pick = lambda p: 1000 * delays[min(len(delays) - 1, int(p * len(delays)))] if delays else None
    return {"messages": len(delays), "smtp_source_errors": errors[-3:], "seconds": round(elapsed, 3), "messages_per_s": len(delays) / elapsed,
            "filter_cpu_s_per_1000": 1000 * cpu / max(1, len(delays)) if world.filters else 0.0,
            "p50_ms": pick(0.5), "p99_ms": pick(0.99),
            "filter_faults_per_message": sum(e[0] for e in events) / max(1, len(delays)),
            "filter_switches_per_message": sum(e[1] for e in events) / max(1, len(delays)),
            "filter_peak_rss_mb": sum(f.rss_mb() for f in world.filters) if world.filters else None}


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def idle_connections(world, count=1000):
    """RSS growth of the milter with `count` idle connections, each past option negotiation."""
    import resource
    import struct
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + 256, count + 256))
    pid = world.filters[-1].process.pid
    before = rss_kb(pid)
    conns = []
    optneg = struct.pack("!IcIII", 13, b"O", 6, 0x1FF, 0x1FFFFF)
    for _ in range(count):
        c = socket.socket(socket.AF_UNIX)
        c.connect(world.milter_socket)
        c.sendall(optneg)
        conns.append(c)
    for c in conns:
        c.settimeout(10)
        c.recv(64)
    time.sleep(1)
    after = rss_kb(pid)
    for c in conns:
        c.close()
    return {"connections": count, "rss_before_kb": before, "rss_after_kb": after,
            "kb_per_connection": (after - before) / count}


def big_message(mta, world, sender, megabytes=50):
    """RSS of the milter sampled while one message of `megabytes` passes through Postfix."""
    import threading
    pid = world.filters[-1].process.pid
    before = rss_kb(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.005)
    t = threading.Thread(target=sample)
    t.start()
    line = "x" * 76 + "\r\n"
    body = line * (megabytes * 1024 * 1024 // len(line))
    text = (f"From: <{sender}>\r\nTo: <ann@example.org>\r\nSubject: big\r\n\r\n" + body)
    mta.send(sender, ["ann@example.org"], text, source="127.0.0.1", helo=f"client.{SENDER_DOMAIN}")
    time.sleep(2)
    done.set()
    t.join()
    return {"megabytes": megabytes, "rss_before_kb": before, "rss_peak_kb": peak[0],
            "growth_kb": peak[0] - before}


def verdicts(check):
    """The check message's verdicts: {"dkim": [...], "dmarc": [...], "spf": [...]} from
    Authentication-Results and Received-SPF, and the d= of its DKIM-Signatures."""
    found = {"dkim": [], "dmarc": [], "spf": [], "signed_by": re.findall(r"\bd=([\w.-]+)", " ".join(check["DKIM-Signature"]))}
    for kind, value in re.findall(r"\b(dkim|dmarc|spf)=(\w+)", " ".join(check["Authentication-Results"])):
        found[kind].append(value.lower())
    found["spf"] += [v.split()[0].lower() for v in check["Received-SPF"]]
    return found


def require(name, check, expect):
    """Stops the run unless the filters did their work on the check message (a peer
    that skipped a verification would look faster than it is)."""
    got = verdicts(check)
    for kind, value in expect.items():
        if value not in got[kind]:
            raise RuntimeError(f"{name}: expected {kind} {value} on the check message, got {got} ({check})")


def client_latency(sender, msg_file, sessions, count):
    """Time per message at an SMTP client on loopback (connect to the reply to the end
    of DATA: smtpd, milters and policy included), one message per session,
    `sessions` clients at once; returns the sorted times in ms."""
    import smtplib
    import threading
    with open(msg_file) as f:
        text = f.read().replace("\n", "\r\n").encode()
    times, lock = [], threading.Lock()

    def client(n):
        for _ in range(n):
            t0 = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", SMTPD_PORT, local_hostname=f"client.{SENDER_DOMAIN}",
                              source_address=("127.0.0.1", 0), timeout=60) as smtp:
                smtp.sendmail(sender, ["ann@example.org"], text)
                elapsed = 1000 * (time.perf_counter() - t0)
            with lock:
                times.append(elapsed)
    threads = [threading.Thread(target=client, args=(count // sessions,)) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(times)


def setup_rows(name, world, dns, files, sender, count, latency, expect, milters=(), restrictions=None, memory=None,
               profiles=None, sizes=SIZES):
    """The rows of one setup; with profiles (a list), only its profile (cpu_profile.py), appended there;
    latency None: no client latency rows."""
    main_cf = {"relayhost": f"[127.0.0.1]:{SINK_PORT}", "delay_logging_resolution_limit": "6",
               "milter_default_action": "tempfail", "default_destination_concurrency_limit": "100",
               "smtpd_client_connection_count_limit": "0", "default_process_limit": "200",
               "message_size_limit": str(100 * 1024 * 1024),
               "smtpd_milters": ", ".join(milters)}
    if restrictions:
        main_cf["smtpd_recipient_restrictions"] = "reject_unauth_destination, " + restrictions
    rows = []
    # The harness's own capture server (unused here: smtp-sink receives) gets a
    # fresh port per setup, as the previous one may linger.
    setup_rows.capture_port = getattr(setup_rows, "capture_port", 2526) + 1
    # One message to check.example.org goes to the harness's capture server, to
    # show what the filters did (signature added, verdicts) — not counted.
    main_cf["transport_maps"] = f"inline:{{check.example.org=smtp:[127.0.0.1]:{setup_rows.capture_port}}}"
    with Postfix(smtpd_port=SMTPD_PORT, sink_port=setup_rows.capture_port, main_cf=main_cf,
                 relay_domains="example.org, check.example.org") as mta:
        with open(files["4KB"]) as f:
            mta.send(sender, ["probe@check.example.org"], f.read().replace("\n", "\r\n"), source="127.0.0.1",
                     helo=f"client.{SENDER_DOMAIN}")
        probe = mta.wait_for_message(lambda m: True)
        check = {h: probe.header(h) for h in ("DKIM-Signature", "Authentication-Results", "Received-SPF")}
        print(f"postfix: {name}: check message headers {json.dumps(check)[:600]}", flush=True)
        require(name, check, expect or {})
        if profiles is not None:
            sessions, size_name = SESSIONS[0], "4KB"
            load(mta, world, sessions, 2 * sessions, files[size_name], sender)  # warm-up
            row = lambda: load(mta, world, sessions, count, files[size_name], sender)
            profiles.append(cpu_profile.profile(name, row, world.filters[-1].process.pid, world.work))
            print(f"postfix: {name}: profile {json.dumps(profiles[-1])[:400]}", flush=True)
            world.stop()
            return rows
        if memory is not None:  # on the fresh process, before any load
            memory["idle_connections"] = idle_connections(world)
            memory["message_50mb"] = big_message(mta, world, sender)
            print(f"postfix: {name}: memory {memory}", flush=True)
        for sessions in SESSIONS:
            for size_name, _ in sizes:
                n = count if size_name == "4KB" else max(100, count // 2)
                # Warm-up (not counted): every session's processes started, caches filled.
                load(mta, world, sessions, 2 * sessions, files[size_name], sender)
                r = load(mta, world, sessions, n, files[size_name], sender)
                r.update(setup=name, sessions=sessions, size=size_name, check=check)
                rows.append(r)
                print(f"postfix: {name} s={sessions} {size_name}: {r['messages_per_s']:.1f} msg/s, filter CPU "
                      f"{r['filter_cpu_s_per_1000']:.2f} s/1000, p50 {r['p50_ms'] or 0:.1f} ms, p99 {r['p99_ms'] or 0:.1f} ms, "
                      f"{r['filter_faults_per_message']:.1f} faults and {r['filter_switches_per_message']:.1f} switches/msg",
                      f"{' smtp-source: ' + ' | '.join(r['smtp_source_errors']) if r['smtp_source_errors'] else ''}", flush=True)
        for sessions in LATENCY_SESSIONS if latency is not None else ():
            for size_name, _ in SIZES:
                n = max(sessions * 10, count // 10)
                client_latency(sender, files[size_name], sessions, sessions)  # warm-up
                times = client_latency(sender, files[size_name], sessions, n)
                pick = lambda p: times[min(len(times) - 1, int(p * len(times)))]
                latency.append({"setup": name, "sessions": sessions, "size": size_name, "messages": len(times),
                                "p50_ms": pick(0.5), "p99_ms": pick(0.99)})
                print(f"postfix: {name} client latency s={sessions} {size_name}: p50 {pick(0.5):.2f} ms, "
                      f"p99 {pick(0.99):.2f} ms", flush=True)
    world.stop()
    return rows


def milter_load(loader, world, msg_file, sender, sessions, count):
    """bench/milter_load against the last started filter's socket (a warm-up first, not counted): its
    JSON figures and the filter's CPU per message."""
    proc = world.filters[-1]
    cmd = [loader, world.milter_socket, msg_file, "127.0.0.1", sender, str(sessions)]
    run(cmd + [str(2 * sessions)])
    cpu0 = proc.cpu()
    r = json.loads(run(cmd + [str(count)]).stdout)
    r["filter_cpu_ms"] = 1000 * (proc.cpu() - cpu0) / max(1, r["messages"])
    if r["errors"] or set(r["final_replies"]) != {"c"}:
        raise RuntimeError(f"milter_load: {r}")
    return r


def memory_lines(memory):
    out = []
    if "idle_connections" in memory:
        m = memory["idle_connections"]
        out.append(f"domainauth milter, {m['connections']} idle connections (past option negotiation): RSS "
                   f"{m['rss_before_kb']} -> {m['rss_after_kb']} KB, {m['kb_per_connection']:.1f} KB per connection "
                   f"(target <= 20 KB)")
    if "message_50mb" in memory:
        m = memory["message_50mb"]
        out.append(f"domainauth milter, one {m['megabytes']} MB message through Postfix: RSS {m['rss_before_kb']} KB "
                   f"before, peak {m['rss_peak_kb']} KB, growth {m['growth_kb']} KB (target: flat)")
    return out


def crypto_speed(seconds):
    """`openssl speed` of the operations a message costs: {"rsa2048": {...}, "ed25519": {...}, "sha256": {...}}."""
    parse = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "openssl_speed.py")
    out = {}
    for what in (["rsa2048"], ["ed25519"], ["-bytes", "16384", "sha256"]):
        text = run(["openssl", "speed", "-mr", "-seconds", str(seconds)] + what).stdout
        out.update(json.loads(run(["/usr/bin/python3", parse], input=text).stdout))
    return out


def add_crypto(row, speed, floor=None):
    """The row's cryptography per message (ms) from openssl speed, the CPU beyond it, and
    how much that is above the floor milter's CPU (same sessions and size)."""
    setup, size = row["setup"], dict(SIZES)[row["size"]]
    hashing = size / speed["sha256"]["16384"]
    if "Ed25519" in setup:
        operation = 1 / speed["ed25519"]["sign_per_s"]
    elif "signing" in setup:
        operation = 1 / speed["rsa2048"]["sign_per_s"]
    elif "inbound" in setup:
        operation = 1 / speed["rsa2048"]["verify_per_s"]
    else:
        return
    row["crypto_ms"] = 1000 * (operation + hashing)
    row["filter_cpu_ms_per_message"] = row["filter_cpu_s_per_1000"]
    row["non_crypto_ms"] = row["filter_cpu_ms_per_message"] - row["crypto_ms"]
    if floor:
        row["floor_ms"] = floor["filter_cpu_s_per_1000"]
    if setup.startswith("domainauth") and row["size"] == "4KB":
        if "inbound" in setup:
            row["goal"] = f"<= {GOAL_INBOUND_MS} ms in all: " + (
                "met" if row["filter_cpu_ms_per_message"] <= GOAL_INBOUND_MS else "not met")
        else:
            row["goal"] = f"<= {GOAL_SIGN_NON_CRYPTO_MS} ms beyond the crypto: " + (
                "met" if row["non_crypto_ms"] <= GOAL_SIGN_NON_CRYPTO_MS else "not met")


def summary(rows):
    """Full-stack targets: >= 2x the peer stack's messages/s, or <= 1/3 of its filter CPU."""
    out = []
    pairs = (("domainauth signing (RSA-2048)", "OpenDKIM signing (RSA-2048)"),
             ("domainauth SPF + DKIM + DMARC, inbound", "OpenDKIM (sv) + OpenDMARC + policyd-spf-python, inbound"))
    by = {(r["setup"], r.get("sessions"), r.get("size")): r for r in rows if "messages_per_s" in r}
    for ours, peer in pairs:
        for sessions in SESSIONS:
            for size, _ in SIZES:
                a, b = by.get((ours, sessions, size)), by.get((peer, sessions, size))
                if not a or not b or not b["messages_per_s"]:
                    continue
                out.append({"what": f"{ours} vs {peer}, {sessions} sessions, {size}: messages/s",
                            "ratio": a["messages_per_s"] / b["messages_per_s"], "target": 2.0})
                if a["filter_cpu_s_per_1000"] > 0:
                    out.append({"what": f"{ours} vs {peer}, {sessions} sessions, {size}: filter CPU (peer / ours)",
                                "ratio": b["filter_cpu_s_per_1000"] / a["filter_cpu_s_per_1000"], "target": 3.0})
    return out


def alternating(rounds, new, baseline, kinds, rows_of):
    """Both builds for each kind in every round, the order alternating between rounds; rows_of(build,
    binary, *kind) yields (sessions, size, {metric: figure}). Returns {(label, sessions, size): {build:
    {metric: [one figure per round]}}}, the label being kind[1]."""
    results = {}
    for round_ in range(rounds):
        builds = [("new", new), ("baseline", baseline)]
        for kind in kinds:
            for build, binary in (builds if round_ % 2 == 0 else builds[::-1]):
                for sessions, size, figures in rows_of(build, binary, *kind):
                    entry = results.setdefault((kind[1], sessions, size), {"new": {}, "baseline": {}})
                    for key, value in figures.items():
                        entry[build].setdefault(key, []).append(value)
    return results


def paired(results, title, metrics):
    """A table of results {(setup, sessions, size): {build: {metric: [one figure per round]}}}: per metric
    (label, key, decimals), both builds' medians over the rounds (lowest-highest) and the median of the
    per-round ratios new / baseline (lowest-highest)."""
    def cell(values, digits):
        return f"{median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"

    def change(new, base):
        ratios = [n / b for n, b in zip(new, base) if b > 0]
        return f"{median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})" if ratios else "—"

    head = "| setup | sessions | message |" + "".join(f" {m} baseline | {m} new | {m} new / baseline |"
                                                  for m, _, _ in metrics)
    out = [title, "", head, "|" + " --- |" * (3 + 3 * len(metrics))]
    for (setup, sessions, size), r in results.items():
        out.append(f"| {setup} | {sessions} | {size} |" + "".join(
            f" {cell(r['baseline'][key], digits)} | {cell(r['new'][key], digits)} | "
            f"{change(r['new'][key], r['baseline'][key])} |" for _, key, digits in metrics))
    return out


ROUNDS_NOTE = ("{rounds} rounds; in each round both builds run the setup one after the other, the order "
               "alternating between rounds (A B, B A, ...). Figures are medians over the rounds (lowest-highest); "
               "a change is the median of the per-round ratios new / baseline (lowest-highest).")


def ab_markdown(rounds, results):
    """results: {(setup, sessions, size): {build: {"cpu", "switches", "p50", "p99": [one figure per round]}}}."""
    return ([ROUNDS_NOTE.format(rounds=rounds), ""] +
            paired(results, "Filter CPU per message (ms) and its context switches per message:",
                   [("CPU ms", "cpu", 3), ("switches", "switches", 1)]) + [""] +
            paired(results, "Latency of the row's messages in Postfix (delays=, the time before the queue manager: "
                   "the SMTP session with smtp-source, smtpd, cleanup and the milter), ms:",
                   [("p50", "p50", 0), ("p99", "p99", 0)]))


def load_markdown(rounds, results):
    """results: as ab_markdown's, of milter_load rows: "cpu", "eod_p50", "eod_p99", "session_p99"."""
    return ([f"bench/milter_load drives the milter's socket directly, as Postfix would, without Postfix; "
             "one message per connection. End of data: from the first body packet sent to the final "
             "end-of-message reply (what an MTA waits for once the message is in); session: connect to that "
             "reply. " + ROUNDS_NOTE.format(rounds=rounds), ""] +
            paired(results, "Filter CPU per message (ms):", [("CPU ms", "cpu", 3)]) + [""] +
            paired(results, "Latency (ms):", [("end of data p50", "eod_p50", 2), ("end of data p99", "eod_p99", 2),
                                              ("session p99", "session_p99", 2)]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--domainauth", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--baseline", help="another domainauth binary whose setups run too, for comparison")
    ap.add_argument("--floor", help="bench/floor_milter: the canned-reply milter, the floor of any milter")
    ap.add_argument("--setups", default=",".join(SETUPS), help="comma-separated, of: " + ", ".join(SETUPS))
    ap.add_argument("--ab", type=int, default=0, metavar="ROUNDS",
                    help="with --baseline: only the domainauth setups' rows, both builds in alternating order "
                         "for ROUNDS rounds, medians and per-round ratios (a change smaller than one pass's noise)")
    ap.add_argument("--load", type=int, default=0, metavar="ROUNDS",
                    help="with --baseline and --loader: no Postfix; bench/milter_load drives each build's milter "
                         "socket directly, the builds in alternating order for ROUNDS rounds (CPU and latency)")
    ap.add_argument("--loader", help="bench/milter_load, for --load")
    ap.add_argument("--ab-sizes", default="4KB", help="with --ab: the message sizes, comma-separated, of: " +
                    ", ".join(name for name, _ in SIZES))
    ap.add_argument("--profile", action="store_true",
                    help="instead of the rows: where the domainauth setups' CPU and system calls go (cpu_profile.py)")
    args = ap.parse_args()
    wanted = args.setups.split(",")
    if (args.ab or args.load) and not args.baseline:
        ap.error("--ab and --load need --baseline")
    if args.load and not args.loader:
        ap.error("--load needs --loader")
    ab_sizes = [size for size in SIZES if size[0] in args.ab_sizes.split(",")]
    if len(ab_sizes) != len(args.ab_sizes.split(",")):
        ap.error(f"--ab-sizes: of {[name for name, _ in SIZES]}")
    unknown = [w for w in wanted if w not in SETUPS]
    if unknown:
        ap.error(f"unknown setups {unknown}")
    speed = crypto_speed(2 if args.quick else 5)
    print(f"postfix: openssl speed {json.dumps(speed)}", flush=True)
    count = 300 if args.quick else 2000
    os.makedirs("/var/lib/domainauth-bench", mode=0o755, exist_ok=True)
    work = tempfile.mkdtemp(prefix="run-", dir="/var/lib/domainauth-bench")
    os.chmod(work, 0o755)
    keys = os.path.join(work, "keys")
    os.mkdir(keys, 0o750)
    run(["opendkim-genkey", "-b", "2048", "-d", "example.com", "-s", "sel", "-D", keys])
    run([args.domainauth, "dkim", "keygen", "--algorithm", "ed25519", "--domain", "example.com", "--selector", "ed",
         "--out", keys])
    shutil.chown(keys, "opendkim", "opendkim")
    shutil.chown(os.path.join(keys, "sel.private"), "opendkim", "opendkim")
    in_keys = os.path.join(work, "in-keys")
    os.mkdir(in_keys, 0o700)
    run([args.domainauth, "dkim", "keygen", "--domain", SENDER_DOMAIN, "--selector", "in", "--out", in_keys])

    def txt(path):
        return "".join(re.findall(r'"([^"]*)"', open(path).read()))

    def sign_inbound(text):
        return run([args.domainauth, "dkim", "sign", "--domain", SENDER_DOMAIN, "--selector", "in",
                    "--key", os.path.join(in_keys, "in.private")], input=text).stdout

    records = [
        ("sel._domainkey.example.com", "TXT", txt(os.path.join(keys, "sel.txt"))),
        ("ed._domainkey.example.com", "TXT", txt(os.path.join(keys, "ed.txt"))),
        (f"in._domainkey.{SENDER_DOMAIN}", "TXT", txt(os.path.join(in_keys, "in.txt"))),
        (SENDER_DOMAIN, "TXT", "v=spf1 ip4:127.0.0.1 -all"),
        (f"client.{SENDER_DOMAIN}", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
        (f"client.{SENDER_DOMAIN}", "A", "127.0.0.1"),
        (f"_dmarc.{SENDER_DOMAIN}", "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{SENDER_DOMAIN}"),
    ]
    files = {}
    for kind, sender, signer in (("out", "joe@example.com", None), ("in", SENDER, sign_inbound)):
        for size_name, size in SIZES:
            path = os.path.join(work, f"{kind}-{size_name}.eml")
            with open(path, "w", newline="") as f:
                f.write(message(sender, size, signer).replace("\r\n", "\n"))
            files[(kind, size_name)] = path
    out_files = {s: files[("out", s)] for s, _ in SIZES}
    in_files = {s: files[("in", s)] for s, _ in SIZES}
    sink = subprocess.Popen(["smtp-sink", "-u", "postfix", f"127.0.0.1:{SINK_PORT}", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows, notes, memory, latency = [], [], {}, []
    try:
        wait_socket(SINK_PORT, sink, "smtp-sink")
        # Negative answers carry an SOA, as real zones' do, so every resolver caches
        # them (the DMARC tree walk's NXDOMAIN for _dmarc.example.net and _dmarc.net).
        with DnsServer(records, negative_ttl=300) as dns:
            world = World(work, dns.spec)
            inbound = {"dkim": "pass", "dmarc": "pass", "spf": "pass"}
            signed = {"signed_by": "example.com"}
            profiles = [] if args.profile else None
            kinds = [k for k in (
                ("sign-rsa", "signing (RSA-2048)", "sel", ["127.0.0.1"], out_files, "joe@example.com", signed),
                ("sign-ed25519", "signing (Ed25519)", "ed", ["127.0.0.1"], out_files, "joe@example.com", signed),
                ("inbound", "SPF + DKIM + DMARC, inbound", "sel", ["192.0.2.254"], in_files, SENDER, inbound))
                if k[0] in wanted]
            if args.load or args.ab:
                def load_rows(build, binary, kind, label, key, hosts, f, sender_, _expect):
                    world.domainauth(binary, kind, hosts, key=key)
                    for sessions in SESSIONS:
                        for size_name, _ in ab_sizes:
                            n = 2 * count if size_name == "4KB" else count  # CPU ticks are 10 ms
                            r = milter_load(args.loader, world, f[size_name], sender_, sessions, n)
                            print(f"load: {build} {label} s={sessions} {size_name}: {json.dumps(r)}", flush=True)
                            yield sessions, size_name, {"cpu": r["filter_cpu_ms"], "eod_p50": r["end_of_data_ms"]["p50"],
                                                        "eod_p99": r["end_of_data_ms"]["p99"],
                                                        "session_p99": r["session_ms"]["p99"]}
                    world.stop()

                def postfix_rows(build, binary, kind, label, key, hosts, f, sender_, expect_):
                    for r in setup_rows(f"domainauth ({build}) {label}", world, dns, f, sender_, count, None, expect_,
                                        milters=[world.domainauth(binary, kind, hosts, key=key)], sizes=ab_sizes):
                        yield r["sessions"], r["size"], {"cpu": r["filter_cpu_s_per_1000"], "p50": r["p50_ms"],
                                                         "p99": r["p99_ms"], "switches": r["filter_switches_per_message"]}

                part, rounds = ("load", args.load) if args.load else ("ab", args.ab)
                results = alternating(rounds, args.domainauth, args.baseline, kinds,
                                      load_rows if args.load else postfix_rows)
                markdown = (load_markdown if args.load else ab_markdown)(rounds, results)
                with open(args.out, "w") as out:
                    json.dump({part: [{"setup": k[0], "sessions": k[1], "size": k[2], **v} for k, v in results.items()],
                               "markdown": markdown}, out, indent=1)
                print("\n".join(markdown))
                shutil.rmtree(work, ignore_errors=True)
                return
            # Postfix alone always runs: the latency rows are relative to it.
            if not args.profile:
                rows += setup_rows("Postfix alone", world, dns, in_files, SENDER, count, latency,
                                   {"signed_by": SENDER_DOMAIN})
            if "floor" in wanted and args.floor and not args.profile:
                rows += setup_rows(FLOOR, world, dns, out_files, "joe@example.com", count, latency, {},
                                   milters=[world.floor(args.floor)])
            if "opendkim" in wanted and not args.profile:
                rows += setup_rows("OpenDKIM signing (RSA-2048)", world, dns, out_files, "joe@example.com", count,
                                   latency, signed, milters=[world.opendkim("s")])
            if "peers" in wanted and not args.profile:
                rows += setup_rows("OpenDKIM (sv) + OpenDMARC + policyd-spf-python, inbound", world, dns, in_files,
                                   SENDER, count, latency, inbound,
                                   milters=[world.opendkim("sv"), world.opendmarc()], restrictions=world.policyd_spf())
            binaries = [("domainauth", args.domainauth)]
            if args.baseline:
                binaries.append(("domainauth (baseline)", args.baseline))
            for label, binary in binaries:
                if "sign-rsa" in wanted:
                    rows += setup_rows(f"{label} signing (RSA-2048)", world, dns, out_files, "joe@example.com", count,
                                       latency, signed, milters=[world.domainauth(binary, "sign", ["127.0.0.1"])],
                                       profiles=profiles)
                if "sign-ed25519" in wanted:
                    rows += setup_rows(f"{label} signing (Ed25519)", world, dns, out_files, "joe@example.com", count,
                                       latency, signed,
                                       milters=[world.domainauth(binary, "sign-ed", ["127.0.0.1"], key="ed")],
                                       profiles=profiles)
                if "inbound" in wanted:
                    rows += setup_rows(f"{label} SPF + DKIM + DMARC, inbound", world, dns, in_files, SENDER, count,
                                       latency, inbound,
                                       milters=[world.domainauth(binary, "inbound", ["192.0.2.254"])],
                                       memory=memory if binary == args.domainauth and not args.profile else None,
                                       profiles=profiles)
    finally:
        sink.terminate()
        sink.wait(10)
    if args.profile:
        shutil.rmtree(work, ignore_errors=True)
        with open(args.out, "w") as f:
            json.dump({"profiles": profiles, "markdown": cpu_profile.markdown(profiles)}, f, indent=1)
        print("\n".join(cpu_profile.markdown(profiles)))
        return
    for name in dict.fromkeys(r["setup"] for r in rows if "check" in r):
        check = next(r["check"] for r in rows if r.get("setup") == name and "check" in r)
        verdicts = re.findall(r"\b(dkim|dmarc|spf)=(\w+)", " ".join(check["Authentication-Results"]))
        sigs = re.findall(r"\bd=([\w.-]+)", " ".join(check["DKIM-Signature"]))
        spf = [v.split()[0] for v in check["Received-SPF"]]
        notes.append(f"{name}, check message after Postfix: DKIM-Signature d= {sigs or 'none'}; "
                     f"Authentication-Results {verdicts or 'none'}; Received-SPF {spf or 'none'}")
        for r in rows:
            if r.get("setup") == name:
                r.pop("check", None)
    base = {(r["sessions"], r["size"]): r for r in latency if r["setup"] == "Postfix alone"}
    for r in latency:
        b = base[(r["sessions"], r["size"])]
        r["added_p50_ms"] = r["p50_ms"] - b["p50_ms"]
        r["added_p99_ms"] = r["p99_ms"] - b["p99_ms"]
    shutil.rmtree(work, ignore_errors=True)
    floor = {(r["sessions"], r["size"]): r for r in rows if r["setup"] == FLOOR}
    for r in rows:
        add_crypto(r, speed, floor.get((r.get("sessions"), r.get("size"))))
        if "crypto_ms" in r:
            print(f"postfix: {r['setup']} s={r['sessions']} {r['size']}: filter CPU "
                  f"{r['filter_cpu_ms_per_message']:.3f} ms/msg, crypto (openssl speed) {r['crypto_ms']:.3f} ms, "
                  f"beyond it {r['non_crypto_ms']:.3f} ms"
                  f"{'; floor milter %.3f ms' % r['floor_ms'] if 'floor_ms' in r else ''}"
                  f"{'; goal ' + r['goal'] if 'goal' in r else ''}", flush=True)
    with open(args.out, "w") as f:
        json.dump({"description": (f"{count} messages per 4 KB row, {max(100, count // 2)} per 100 KB row, one "
                                   f"message per SMTP session (smtp-source), relayed to smtp-sink; milters on "
                                   f"unix sockets; policyd-spf-python under socat, one process per policy "
                                   f"connection. The check message of each setup must carry the expected signature "
                                   f"or pass verdicts (dkim, dmarc, spf), or the run stops."),
                   "latency_description": (
                       "Time per message at an SMTP client on loopback (Python smtplib, one message per "
                       "session: connect to the reply to the end of DATA, so smtpd, milters and policy "
                       "included), 1 and 10 clients at once, minus Postfix alone's at the same clients "
                       "and size. Postfix's own delays= has only 10 ms resolution."),
                   "rows": rows, "latency": latency, "notes": notes, "memory_raw": memory,
                   "memory": memory_lines(memory), "summary": summary(rows), "openssl_speed": speed,
                   "crypto_description": (
                       "Filter CPU per message minus the cryptography in it, timed by `openssl speed` in the same "
                       "run before the setups: the RSA-2048 or Ed25519 signature (signing setups) or the RSA-2048 "
                       "verification (inbound), plus SHA-256 of the message at openssl's 16 KB-block rate. Goal "
                       f"(issue 20, 4 KB messages): at most {GOAL_SIGN_NON_CRYPTO_MS} ms beyond the crypto when "
                       f"signing, {GOAL_INBOUND_MS} ms in all inbound.")}, f, indent=1)


if __name__ == "__main__":
    main()
