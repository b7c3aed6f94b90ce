#!/usr/bin/env python3
"""Milter protocol edge cases against the real milter server (milter_test_server: the
project's Server with a handler that counts body bytes and adds X-Milter-Test),
driven by the scripted MTA of tests/e2e/lib/milterclient.py on loopback and on a
unix socket: abort mid-body, quit without end of message, quit-nc reuse, oversize
packets, garbage, a stalling client, a client vanishing mid-message, progress at a
slow end of message, and 1000 concurrent idle connections (RSS reported).

Usage: edge_cases.py PATH/TO/milter_test_server    (exit 0 when every case passed)
"""

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from milterclient import ConnectionClosed, MilterClient, packet, strings  # noqa: E402

SERVER = sys.argv[1] if len(sys.argv) > 1 else "milter_test_server"
TMP = tempfile.mkdtemp(prefix="milter-e2e-")


class TestServer:
    """milter_test_server on inet:127.0.0.1:<any> and unix:<tmp>/sock."""

    def __init__(self, name, *options):
        self.log_path = os.path.join(TMP, name + ".log")
        self.log = open(self.log_path, "w")
        sock = os.path.join(TMP, name + ".sock")
        self.proc = subprocess.Popen([SERVER, *options, "inet:127.0.0.1:0", "unix:" + sock],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.inet = self.proc.stdout.readline().split()[1]
        self.unix = self.proc.stdout.readline().split()[1]

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_for_log(self, needle, seconds=5.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if needle in self.log_text():
                return True
            time.sleep(0.05)
        return False

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def client(address, **kw):
    m = MilterClient(address, **kw)
    m.optneg()
    m.macros("C", {"j": "mx.example", "{daemon_name}": "smtpd", "{client_addr}": "192.0.2.1"})
    assert m.connect("client.example", "4", 25, "192.0.2.1").code == "c"
    assert m.helo("client.example").code == "c"
    return m


HEADERS = [("From", "a@example.org"), ("Subject", "test")]


def added_header(result):
    assert result.reply.code == "c", result
    [(kind, name, value)] = result.modifications
    assert (kind, name) == ("addheader", "X-Milter-Test"), result
    return value


# ---------------------------------------------------------------- cases

def case_message_over_inet_and_unix(s):
    for address in (s.inet, s.unix):
        with client(address) as m:
            m.macros("E", {"i": "4AbC"})
            result = m.message(HEADERS, b"Hello\r\n" * 3)
            assert added_header(result) == "bytes=21 messages=1 queue_id=4AbC", result


def case_large_message_in_chunks(s):
    with client(s.inet) as m:
        body = b"x" * 998 + b"\r\n"
        result = m.message(HEADERS, body * 1000, chunk=65535)  # ~1 MB in 16 chunks
        assert added_header(result) == "bytes=1000000 messages=1", result
        # The biggest packet we accept: one 1 MiB chunk.
        result = m.message(HEADERS, b"y" * (1 << 20), chunk=1 << 20)
        assert added_header(result) == "bytes=1048576 messages=2", result


def case_abort_mid_body(s):
    with client(s.inet) as m:
        m.mail("<a@example.org>")
        m.rcpt("<b@example.net>")
        m.data()
        m.header("Subject", "x")
        m.eoh()
        m.body(b"z" * 100)
        m.abort()  # no reply expected
        result = m.message(HEADERS, b"0123456789")
        assert added_header(result) == "bytes=10 messages=1", result  # aborted bytes forgotten


def case_quit_without_end_of_message(s):
    with client(s.inet) as m:
        m.mail("<a@example.org>")
        m.body(b"partial")
        m.quit()
        assert m.is_closed()
    with client(s.inet) as m:  # the server goes on
        assert added_header(m.message(HEADERS, b"ok")) == "bytes=2 messages=1"


def case_quit_nc_reuse(s):
    with client(s.unix) as m:
        assert added_header(m.message(HEADERS, b"one")) == "bytes=3 messages=1"
        assert added_header(m.message(HEADERS, b"two")) == "bytes=3 messages=2"
        m.quit_nc()
        # Next SMTP client on the same milter connection: connect again, no OPTNEG.
        assert m.connect("second.example", "6", 2525, "2001:db8::2").code == "c"
        assert added_header(m.message(HEADERS, b"three")) == "bytes=5 messages=1"  # fresh handler
        m.quit()


def expect_closed(s, data, log_needle):
    with client(s.inet) as m:
        m.raw(data)
        try:
            code, payload = m.read_packet()
            raise AssertionError("server answered %r %r to bad input" % (code, payload))
        except (ConnectionClosed, ConnectionResetError):
            pass
    assert s.wait_for_log(log_needle), "no log line %r in:\n%s" % (log_needle, s.log_text())
    assert s.alive()


def case_oversize_packet(s):
    expect_closed(s, b"\x01\x00\x00\x00B" + b"x" * 1000, "event=oversize_packet")


def case_garbage_bytes(s):
    expect_closed(s, b"\x00\x00\x00\x05Zjunk", "event=unknown_command")
    expect_closed(s, b"\x00\x00\x00\x04Chost", "event=missing_nul")


def case_garbage_before_negotiation(s):
    with MilterClient(s.inet) as m:
        m.raw(b"EHLO mx.example\r\n")  # an SMTP client knocking on the milter port
        assert m.is_closed()
    assert s.wait_for_log("event=oversize_packet")


def case_client_vanishes_mid_message(s):
    m = client(s.inet)
    m.mail("<a@example.org>")
    m.body(b"half a message")
    m.close()
    assert s.wait_for_log("event=peer_closed")
    with client(s.inet) as m2:
        assert added_header(m2.message(HEADERS, b"after")) == "bytes=5 messages=1"


def case_stalling_client(_):
    s = TestServer("stall", "--stall-ms", "300", "--idle-ms", "1500")
    try:
        with client(s.inet) as m:
            m.raw(b"\x00\x00\x00\x20H" + b"half")  # promises 32 bytes, sends 5
            start = time.monotonic()
            assert m.is_closed()
            took = time.monotonic() - start
            assert 0.2 < took < 1.5, took
        assert s.wait_for_log("peer stalled in the middle of a packet")
        with client(s.inet) as m:  # idle between commands: the longer timeout
            start = time.monotonic()
            assert m.is_closed()
            took = time.monotonic() - start
            assert 1.3 < took < 3.0, took
        assert s.wait_for_log("no command from the peer in time")
    finally:
        s.stop()


def case_progress_at_slow_end_of_message(_):
    s = TestServer("slow", "--eom-delay-ms", "700", "--progress-ms", "200")
    try:
        with client(s.inet) as m:
            result = m.message(HEADERS, b"slow")
            assert added_header(result) == "bytes=4 messages=1"
            assert result.progress >= 2, result
    finally:
        s.stop()


def case_thousand_idle_connections(s):
    count = 1000
    before = s.rss_kib()
    clients = []
    for _ in range(count):
        m = MilterClient(s.inet)
        m.send("O", b"\x00\x00\x00\x06\x00\x00\x01\xff\x00\x1f\xff\xff")
        clients.append(m)
    for m in clients:
        assert m.read_packet()[0] == "O"
        m.steps = 0
    time.sleep(0.5)
    after = s.rss_kib()
    # Every one of them is still served, in any order.
    for m in reversed(clients):
        m.send("H", strings("c.example"))
    for m in reversed(clients):
        assert m.read_packet()[0] == "c"
    per_connection = (after - before) / count
    print("    RSS: %d KiB before, %d KiB with %d idle connections (%.1f KiB each)"
          % (before, after, count, per_connection))
    assert per_connection < 64, per_connection
    for m in clients:
        m.close()


CASES = [case_message_over_inet_and_unix, case_large_message_in_chunks, case_abort_mid_body,
         case_quit_without_end_of_message, case_quit_nc_reuse, case_oversize_packet,
         case_garbage_bytes, case_garbage_before_negotiation, case_client_vanishes_mid_message,
         case_stalling_client, case_progress_at_slow_end_of_message, case_thousand_idle_connections]


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    s = TestServer("main")
    failed = 0
    try:
        for case in CASES:
            try:
                case(s)
                print("ok   " + case.__name__)
            except Exception as e:  # report every case, then fail
                failed += 1
                print("FAIL %s: %s: %s" % (case.__name__, type(e).__name__, e))
        if not s.alive():
            failed += 1
            print("FAIL the server died")
    finally:
        s.stop()
    if failed:
        print("--- server log:\n" + open(s.log_path).read()[-4000:])
    print("%d of %d cases passed" % (len(CASES) - failed, len(CASES)))
    shutil.rmtree(TMP, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
