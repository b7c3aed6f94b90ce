"""The Postfix policy service end to end: real unbound (tests/e2e/lib/dnsserver.py),
`domainauth serve` (inet and unix), `domainauth policy` under Postfix's spawn, and a
real Postfix 3.7 (tests/e2e/lib/postfix.py) with check_policy_service pointing at them.
Plus the protocol spoken directly over sockets: malformed and oversize requests,
stalled and vanishing clients, many concurrent connections, the instance cache,
SIGHUP reload and SIGTERM drain. Run inside tests/e2e/lib/netns-run (as root).
"""

import os
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from daemons import Serve
from dnsserver import DnsServer
from postfix import Postfix

DOMAINAUTH = os.environ["DOMAINAUTH"]
AUTHORIZED = "127.0.0.10"
UNAUTHORIZED = "127.0.0.20"
MAIN_PORT = 10023    # Postfix-facing daemon, default timeouts
STRICT_PORT = 10024  # short timeouts, for the stall / idle / reload tests
RECORDS = [
    ("policy.test", "TXT", "v=spf1 ip4:%s -all" % AUTHORIZED),
    ("badhelo.policy.test", "TXT", "v=spf1 -all"),
    ("client.policy.test", "A", AUTHORIZED),
]
REQUEST = ("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
           "client_address={ip}\nclient_name=unknown\nhelo_name={helo}\nsender={sender}\n"
           "recipient=b@example.org\ninstance={instance}\nsasl_username=\n\n")
world = {}


def request(ip=AUTHORIZED, sender="a@policy.test", helo="client.policy.test", instance="i"):
    return REQUEST.format(ip=ip, sender=sender, helo=helo, instance=instance).encode()


def pid_file(config_path):
    """In a folder the daemon's user owns, so it can remove the file after dropping root."""
    return os.path.join(world["run"], os.path.basename(config_path) + ".pid")


def write_config(path, port, extra=""):
    with open(path, "w") as f:
        f.write('[dns]\nservers = ["%s"]\ntimeout = 2\n' % world["dns"].spec)
        f.write('[policy]\nlisten = ["inet:127.0.0.1:%d", "unix:%s.sock"]\n' % (port, path))
        f.write('%s\n[spf]\nskip_addresses = []\nreceiver = "mx.policy.test"\n' % extra)
        # serve also runs the milter: each daemon gets its own socket.
        f.write('[milter]\nlisten = ["unix:%s.milter"]\n' % path)
        f.write('[daemon]\nuser = "nobody"\npid_file = "%s"\n' % pid_file(path))
    os.chmod(path, 0o644)


def exchange(data, port=MAIN_PORT, timeout=10):
    """Sends data on a fresh connection; returns everything read until EOF or a full reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        return read_reply(s)


def read_reply(s):
    data = b""
    while not data.endswith(b"\n\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode()


def setUpModule():
    world["dir"] = tempfile.mkdtemp(prefix="domainauth-policy-e2e-")
    os.chmod(world["dir"], 0o755)
    world["run"] = os.path.join(world["dir"], "run")
    os.mkdir(world["run"])
    shutil.chown(world["run"], "nobody")
    world["dns"] = DnsServer(RECORDS, timeout_names=["slow.policy.test"]).__enter__()
    main_conf = os.path.join(world["dir"], "main.toml")
    write_config(main_conf, MAIN_PORT)
    world["main"] = Serve(DOMAINAUTH, main_conf)
    strict_conf = os.path.join(world["dir"], "strict.toml")
    write_config(strict_conf, STRICT_PORT, "idle_timeout = 2\nrequest_timeout = 1")
    world["strict"] = Serve(DOMAINAUTH, strict_conf)
    spawn_policy = "reject_unauth_destination,check_policy_service,unix:private/policy"
    world["postfix"] = Postfix(
        smtpd_port=2525, sink_port=2526,
        main_cf={"smtpd_recipient_restrictions":
                 "reject_unauth_destination, check_policy_service inet:127.0.0.1:%d" % MAIN_PORT},
        master_cf=["127.0.0.1:2527 inet n - n - - smtpd -o smtpd_recipient_restrictions=" + spawn_policy,
                   "policy unix - n n - - spawn user=nobody argv=%s policy --config %s" % (DOMAINAUTH, main_conf)],
    ).__enter__()


def tearDownModule():
    for name in ("postfix", "dns"):
        if name in world:
            world[name].__exit__(None, None, None)
    for name in ("main", "strict"):
        if name in world:
            world[name].stop()
    shutil.rmtree(world["dir"], ignore_errors=True)


class ThroughPostfix(unittest.TestCase):
    """Mail through a real Postfix whose check_policy_service asks domainauth."""

    def check_authorized_gets_received_spf(self, port, tag):
        mta = world["postfix"]
        mta.send("a@policy.test", ["b@example.org"], "Subject: %s\r\n\r\nbody\r\n" % tag,
                 source=AUTHORIZED, helo="client.policy.test", port=port)
        message = mta.wait_for_message(lambda m: "Subject: %s" % tag in m.data)
        fields = message.header("Received-SPF")
        self.assertEqual(len(fields), 1, message.data)
        self.assertTrue(fields[0].startswith("pass (mx.policy.test: "), fields[0])
        self.assertIn("client-ip=%s;" % AUTHORIZED, fields[0])
        self.assertIn("identity=mailfrom", fields[0])

    def check_unauthorized_refused(self, port):
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
            world["postfix"].send("a@policy.test", ["b@example.org"], "Subject: no\r\n\r\nbody\r\n",
                                  source=UNAUTHORIZED, helo="client.policy.test", port=port)
        code, text = refused.exception.recipients["b@example.org"]
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.7.23 "), text)

    def test_inet_authorized_client_gets_received_spf_pass(self):
        self.check_authorized_gets_received_spf(2525, "inet-pass")

    def test_inet_unauthorized_client_refused_550_5_7_23(self):
        self.check_unauthorized_refused(2525)

    def test_spawn_authorized_client_gets_received_spf_pass(self):
        self.check_authorized_gets_received_spf(2527, "spawn-pass")

    def test_spawn_unauthorized_client_refused_550_5_7_23(self):
        self.check_unauthorized_refused(2527)


class Protocol(unittest.TestCase):
    """The policy protocol spoken directly."""

    def test_pass_prepends_received_spf(self):
        reply = exchange(request(instance="p1"))
        self.assertTrue(reply.startswith("action=PREPEND Received-SPF: pass "), reply)
        self.assertTrue(reply.endswith("\n\n"))

    def test_fail_rejects(self):
        reply = exchange(request(ip=UNAUTHORIZED, instance="f1"))
        self.assertTrue(reply.startswith("action=550 5.7.23 "), reply)

    def test_helo_fail_rejects(self):
        reply = exchange(request(helo="badhelo.policy.test", instance="h1"))
        self.assertTrue(reply.startswith("action=550 5.7.23 "), reply)

    def test_dns_timeout_defers_451_4_4_3(self):
        reply = exchange(request(sender="a@slow.policy.test", instance="t1"))
        self.assertTrue(reply.startswith("action=451 4.4.3 "), reply)

    def test_unix_socket_listener(self):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(world["main"].path + ".sock")
            s.sendall(request(instance="u1"))
            self.assertTrue(read_reply(s).startswith("action=PREPEND Received-SPF: pass "))

    def test_several_requests_on_one_connection_and_pipelined(self):
        with socket.create_connection(("127.0.0.1", MAIN_PORT), timeout=10) as s:
            s.sendall(request(instance="m1"))
            self.assertIn("pass", read_reply(s))
            s.sendall(b"request=smtpd_access_policy\nprotocol_state=DATA\n\n" + request(instance="m2"))
            replies = b""
            while replies.count(b"\n\n") < 2:
                replies += s.recv(4096)
            first, second = replies.decode().split("\n\n")[:2]
            self.assertEqual(first, "action=DUNNO")
            self.assertTrue(second.startswith("action=PREPEND Received-SPF: pass"))

    def test_instance_cache_answers_repeat_without_new_check(self):
        first = exchange(request(instance="cache-1"))
        second = exchange(request(instance="cache-1"))
        self.assertEqual(first, second)
        lines = [l for l in world["main"].log().splitlines() if "instance=cache-1" in l]
        self.assertEqual(len(lines), 2, lines)
        self.assertIn("cached=no", lines[0])
        self.assertIn("cached=yes", lines[1])

    def test_malformed_request_answered_then_closed(self):
        for data, error in [(b"no equals sign\n\n", "line without '='"),
                            (b"sender=" + b"x" * 10000 + b"\n\n", "line too long"),
                            (b"".join(b"a%d=x\n" % i for i in range(500)) + b"\n", "too many attributes"),
                            (b"=x\n\n", "bad attribute name"),
                            (b"sender=a\x00b\n\n", "NUL byte in request")]:
            with socket.create_connection(("127.0.0.1", MAIN_PORT), timeout=10) as s:
                s.sendall(data)
                reply = read_reply(s)
                self.assertEqual(reply, "action=451 4.3.5 malformed policy request: %s\n\n" % error)
                self.assertEqual(s.recv(100), b"", "connection must close after a bad request")

    def test_client_disconnecting_mid_request(self):
        with socket.create_connection(("127.0.0.1", MAIN_PORT)) as s:
            s.sendall(b"request=smtpd_access_policy\nprotocol_st")
        time.sleep(0.3)
        self.assertIn("pass", exchange(request(instance="after-disconnect")))
        self.assertIn("event=disconnected-mid-request", world["main"].log())

    def test_stalled_request_cut_while_others_served(self):
        with socket.create_connection(("127.0.0.1", STRICT_PORT), timeout=10) as stalled:
            stalled.sendall(b"request=smtpd_access_policy\n")
            started = time.monotonic()
            self.assertIn("pass", exchange(request(instance="beside-stall"), port=STRICT_PORT))
            self.assertLess(time.monotonic() - started, 1.0)
            self.assertEqual(stalled.recv(100), b"")  # request_timeout = 1
            self.assertLess(time.monotonic() - started, 5)

    def test_idle_connection_closed(self):
        with socket.create_connection(("127.0.0.1", STRICT_PORT), timeout=10) as idle:
            started = time.monotonic()
            self.assertEqual(idle.recv(100), b"")  # idle_timeout = 2
            self.assertGreater(time.monotonic() - started, 1.5)

    def test_many_concurrent_connections(self):
        count = 300
        sockets = [socket.create_connection(("127.0.0.1", MAIN_PORT), timeout=30) for _ in range(count)]
        try:
            for i, s in enumerate(sockets):
                s.sendall(request(ip=AUTHORIZED if i % 2 else UNAUTHORIZED, instance="c%d" % i))
            for i, s in enumerate(sockets):
                reply = read_reply(s)
                want = "action=PREPEND Received-SPF: pass" if i % 2 else "action=550 5.7.23"
                self.assertTrue(reply.startswith(want), (i, reply))
        finally:
            for s in sockets:
                s.close()


class Lifecycle(unittest.TestCase):
    def test_sighup_reloads_config_keeping_connections(self):
        daemon = world["strict"]
        with socket.create_connection(("127.0.0.1", STRICT_PORT), timeout=10) as kept:
            kept.sendall(request(ip=UNAUTHORIZED, instance="before-reload"))
            self.assertTrue(read_reply(kept).startswith("action=550 5.7.23"))
            write_config(daemon.path, STRICT_PORT, "idle_timeout = 2\nrequest_timeout = 1\n"
                         "[spf.mail_from]\nfail = \"defer\"")
            daemon.process.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 5
            while "event=reloaded" not in daemon.log() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn("event=reloaded", daemon.log())
            kept.sendall(request(ip=UNAUTHORIZED, instance="after-reload"))
            self.assertTrue(read_reply(kept).startswith("action=451 4.4.3 "))

    def test_bad_config_refused_with_file_line_key(self):
        path = os.path.join(world["dir"], "bad.toml")
        with open(path, "w") as f:
            f.write("[policy]\nlisten = [\"inet:127.0.0.1:1\"]\nlisen = 1\n")
        run = subprocess.run([DOMAINAUTH, "serve", "--config", path], capture_output=True, text=True, timeout=10)
        self.assertEqual(run.returncode, 1)
        self.assertIn("%s:3: policy.lisen: unknown key" % path, run.stderr)

    def test_sigterm_answers_request_in_progress_then_exits(self):
        path = os.path.join(world["dir"], "term.toml")
        write_config(path, 10025)
        daemon = Serve(DOMAINAUTH, path)
        try:
            self.assertTrue(os.path.exists(pid_file(path)))
            with socket.create_connection(("127.0.0.1", 10025), timeout=10) as idle, \
                    socket.create_connection(("127.0.0.1", 10025), timeout=10) as busy:
                busy.sendall(request(sender="a@slow.policy.test", helo="", instance="term"))  # ~2 s DNS timeout
                time.sleep(0.3)
                daemon.process.terminate()
                self.assertEqual(idle.recv(100), b"")
                self.assertTrue(read_reply(busy).startswith("action=451 4.4.3"))
            self.assertEqual(daemon.process.wait(10), 0)
            self.assertFalse(os.path.exists(pid_file(path)))
            self.assertIn("event=stopped", daemon.log())
        finally:
            daemon.stop()

if __name__ == "__main__":
    unittest.main(verbosity=2)
