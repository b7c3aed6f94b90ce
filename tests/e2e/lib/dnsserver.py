"""A real DNS server (unbound) with test data, for end-to-end tests.

Usage (inside tests/e2e/lib/netns-run, as root, loopback only):

    from dnsserver import DnsServer, split_txt

    records = [
        ("example.com", "TXT", "v=spf1 ip4:192.0.2.0/24 -all"),   # raw text: quoted for you
        ("example.com", "TXT", '"two" "strings"'),                 # starts with '"': as written
        ("example.com", "MX", "10 mx.example.com"),
        ("mx.example.com", "A", "192.0.2.1"),
        ("mx.example.com", "AAAA", "2001:db8::1"),
        ("alias.example.com", "CNAME", "mx.example.com"),
        ("1.2.0.192.in-addr.arpa", "PTR", "mx.example.com"),
        ("exists.example.com", "A", "127.0.0.2", 60),             # optional 4th item: TTL
    ]
    with DnsServer(records, timeout_names=["slow.example"], servfail_names=["broken.example"]) as dns:
        run(["domainauth", "spf", "--dns", dns.spec, ...])      # dns.spec == "127.0.0.1:5353"
        dns.stop(); ...; dns.start()                             # take it down mid-test

- Only the given data answers (`local-zone: "." static`): other names are NXDOMAIN, a
  name with records of other types only is NODATA. Nothing is ever asked of the outside.
  These negative answers carry no SOA (so resolvers do not cache them) unless
  negative_ttl is given: then an SOA for "." with that minimum goes with them.
- TXT values: a value that does not start with '"' is raw text; it is split into
  character-strings of at most 255 octets (split_txt) and escaped. A value starting
  with '"' is presentation format, used as written.
- Names in timeout_names (and everything below them) never get an answer: queries
  are forwarded to a loopback "blackhole" that reads them and never replies.
- Names in servfail_names (and below) answer SERVFAIL: forwarded to a loopback
  responder that answers every query with RCODE 2.
- The server listens on 127.0.0.1@port plus extra_addresses (default 127.0.0.53@53, the
  address netns-run's /etc/resolv.conf names, for peers that cannot be given a port).
  Pass extra_addresses=() outside the namespace.
- serve_control(path): a UNIX socket on which a test program (e.g. a C++ test
  driven by this harness) writes "stop\\n" or "start\\n" and reads "ok\\n" back.
- DNSSEC: sign_zone(folder, "secure.test", records) signs a zone with ldns-signzone
  (keys from ldns-keygen) and returns (zonefile, trust_anchor_file); serve it with
  DnsServer(..., auth_zones=[("secure.test", zonefile)]) and give the trust anchor
  file to the resolver under test. tamper=[(name, type, value)] replaces records
  after signing, so their signatures no longer match (DNSSEC bogus).
- SlowProxy(dns, delay): a UDP proxy on its own loopback port (proxy.spec) that hands
  every query to the server and its answer back `delay` seconds after the query came:
  a resolver that answers, slowly.
- The configuration and unbound's log live in a temporary folder (dns.directory),
  removed on exit; a server that does not come up raises with the log.
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

TXT_STRING_OCTETS = 255  # RFC 1035 3.3: a <character-string> holds at most 255 octets
START_TIMEOUT_SECONDS = 10.0
DEFAULT_TTL = 3600


def split_txt(text):
    """Raw TXT text -> presentation format: quoted character-strings of <= 255 octets."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    chunks = [data[i:i + TXT_STRING_OCTETS] for i in range(0, len(data), TXT_STRING_OCTETS)] or [b""]
    return " ".join('"' + _escape_txt(chunk) + '"' for chunk in chunks)


def _escape_txt(chunk):
    out = []
    for octet in chunk:
        char = chr(octet)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= octet < 0x7F and char != "'":  # "'" would end unbound.conf's quoting
            out.append(char)
        else:
            out.append("\\%03d" % octet)
    return "".join(out)


def _absolute(name):
    return name if name.endswith(".") else name + "."


def _dns_query(name, qtype=1, ident=0x4242):
    """A minimal RFC 1035 4.1 query message (RD set)."""
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".") if p)
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\0" + struct.pack("!HH", qtype, 1)


class _Loopback:
    """UDP + TCP listeners on one 127.0.0.1 port; each query gets reply(query) or nothing."""

    def __init__(self, reply):
        self._reply = reply
        self._stop = threading.Event()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(64)
        self._held = []
        for target in (self._serve_udp, self._serve_tcp):
            threading.Thread(target=target, daemon=True).start()

    def _serve_udp(self):
        while not self._stop.is_set():
            try:
                query, peer = self.udp.recvfrom(65535)
            except OSError:
                return
            answer = self._reply(query)
            if answer is not None:
                self.udp.sendto(answer, peer)

    def _serve_tcp(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            self._held.append(conn)  # a blackhole keeps it open and silent
            threading.Thread(target=self._serve_conn, args=(conn,), daemon=True).start()

    def _serve_conn(self, conn):
        try:
            while True:
                header = conn.recv(2, socket.MSG_WAITALL)
                if len(header) < 2:
                    return
                query = conn.recv(struct.unpack("!H", header)[0], socket.MSG_WAITALL)
                answer = self._reply(query)
                if answer is not None:
                    conn.sendall(struct.pack("!H", len(answer)) + answer)
        except OSError:
            return

    def close(self):
        self._stop.set()
        for sock in [self.udp, self.tcp] + self._held:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class SlowProxy:
    """UDP on a loopback port: each query goes to the DnsServer at once and its answer
    comes back `delay` seconds after the query arrived (a thread per query)."""

    def __init__(self, dns, delay):
        self._upstream = ("127.0.0.1", dns.port)
        self._delay = delay
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def spec(self):
        return "127.0.0.1:%d" % self.port

    def _serve(self):
        while True:
            try:
                query, peer = self._sock.recvfrom(65535)
            except OSError:
                return
            threading.Thread(target=self._answer, args=(query, peer, time.monotonic()), daemon=True).start()

    def _answer(self, query, peer, arrived):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
            upstream.settimeout(self._delay + 5)
            try:
                upstream.sendto(query, self._upstream)
                answer = upstream.recv(65535)
            except OSError:
                return
        time.sleep(max(0.0, arrived + self._delay - time.monotonic()))
        try:
            self._sock.sendto(answer, peer)
        except OSError:
            pass

    def close(self):
        self._sock.close()


def _servfail(query):
    """The query turned into a SERVFAIL response (QR, RD, RA, RCODE 2; question kept)."""
    if len(query) < 12:
        return None
    ident, flags = struct.unpack("!HH", query[:4])
    return struct.pack("!HHHHHH", ident, 0x8182 | (flags & 0x0100), 1, 0, 0, 0) + _question(query[12:])


def _question(body):
    end = 0
    while end < len(body) and body[end] != 0:
        end += 1 + body[end]
    return body[:end + 5]


def sign_zone(folder, origin, records, tamper=()):
    """Writes and signs (RFC 4034, ECDSA P-256) zone origin holding records (as for
    DnsServer; names absolute or relative to origin) plus SOA and NS. Returns
    (signed zone file, trust anchor file with the KSK's DS record)."""
    origin = _absolute(origin)
    lines = ["$TTL %d" % DEFAULT_TTL,
             "%s IN SOA ns.%s hostmaster.%s 1 3600 600 86400 300" % (origin, origin, origin),
             "%s IN NS ns.%s" % (origin, origin),
             "ns.%s IN A 127.0.0.1" % origin]
    lines += [DnsServer._record_line(record) for record in
              [(_in_zone(r[0], origin),) + tuple(r[1:]) for r in records]]
    zonefile = os.path.join(folder, origin + "zone")
    with open(zonefile, "w") as zone:
        zone.write("\n".join(lines) + "\n")

    def keygen(*flags):
        return subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", *flags, origin.rstrip(".")], cwd=folder,
                              check=True, capture_output=True, text=True).stdout.strip()

    ksk = keygen("-k")
    zsk = keygen()
    subprocess.run(["ldns-signzone", "-f", zonefile + ".signed", zonefile, os.path.join(folder, zsk),
                    os.path.join(folder, ksk)], cwd=folder, check=True, capture_output=True)
    replacements = {(_absolute(_in_zone(n, origin)).lower(), t.upper()): v for n, t, v in tamper}
    with open(zonefile + ".signed") as signed:
        out = [_tampered(line, replacements) for line in signed]
    with open(zonefile + ".signed", "w") as signed:
        signed.writelines(out)
    return zonefile + ".signed", os.path.join(folder, ksk + ".ds")


def _in_zone(name, origin):
    bare = origin.rstrip(".").lower()
    inside = name.rstrip(".").lower() == bare or name.rstrip(".").lower().endswith("." + bare)
    return name if name.endswith(".") or inside else name + "." + origin


def _tampered(line, replacements):
    fields = line.split(None, 4)
    if len(fields) == 5 and (fields[0].lower(), fields[3].upper()) in replacements:
        value = replacements[(fields[0].lower(), fields[3].upper())]
        return "\t".join(fields[:4] + [value]) + "\n"
    return line


class DnsServer:
    def __init__(self, records, port=5353, extra_addresses=("127.0.0.53@53",),
                 timeout_names=(), servfail_names=(), auth_zones=(), negative_ttl=None):
        self.records = list(records)
        self.negative_ttl = negative_ttl
        self.auth_zones = tuple(auth_zones)
        self.port = port
        self.extra_addresses = tuple(extra_addresses)
        self.timeout_names = tuple(timeout_names)
        self.servfail_names = tuple(servfail_names)
        self.directory = None
        self.process = None
        self._listeners = []
        self._control = None

    # "127.0.0.1:5353": the form `domainauth --dns` and dns::ResolverConfig take.
    @property
    def spec(self):
        return "127.0.0.1:%d" % self.port

    # "127.0.0.1@5353": the form unbound and OpenDKIM's Nameservers take.
    @property
    def address(self):
        return "127.0.0.1@%d" % self.port

    def __enter__(self):
        self.directory = tempfile.mkdtemp(prefix="domainauth-dns-")
        try:
            blackhole = _Loopback(lambda query: None)
            responder = _Loopback(_servfail)
            self._listeners = [blackhole, responder]
            with open(self.config_path, "w") as conf:
                conf.write(self._config(blackhole.port, responder.port))
            self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self._control is not None:
            self._control.close()
            self._control = None
        self.stop()
        for listener in self._listeners:
            listener.close()
        self._listeners = []
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        return False

    @property
    def config_path(self):
        return os.path.join(self.directory, "unbound.conf")

    @property
    def log_path(self):
        return os.path.join(self.directory, "unbound.log")

    def log(self):
        try:
            with open(self.log_path) as log:
                return log.read()
        except OSError:
            return ""

    def start(self):
        """Starts unbound and waits until it answers queries."""
        if self.process is not None:
            return
        stderr_path = os.path.join(self.directory, "unbound.stderr")
        with open(stderr_path, "ab") as stderr:
            self.process = subprocess.Popen(["unbound", "-d", "-c", self.config_path],
                                            stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                with open(stderr_path, errors="replace") as stderr:
                    raise RuntimeError("unbound did not start:\n%s\n%s" % (stderr.read(), self.log()))
            time.sleep(0.05)

    def stop(self):
        """Stops unbound (its cache goes with it)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def serve_control(self, path):
        """Accepts "stop"/"start" lines on a UNIX socket at path; answers "ok" or "error ...".
        Returns self; closed on exit."""
        if os.path.exists(path):
            os.unlink(path)
        self._control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._control.bind(path)
        self._control.listen(4)
        threading.Thread(target=self._serve_control, args=(self._control,), daemon=True).start()
        return self

    def _serve_control(self, listener):
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rw") as stream:
                for line in stream:
                    command = line.strip()
                    try:
                        if command == "stop":
                            self.stop()
                        elif command == "start":
                            self.start()
                        else:
                            raise ValueError("unknown command %r" % command)
                        stream.write("ok\n")
                    except Exception as error:  # reported to the test, which fails
                        stream.write("error %s\n" % error)
                    stream.flush()

    def _answers(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.2)
            try:
                sock.sendto(_dns_query("ready.invalid"), ("127.0.0.1", self.port))
                return len(sock.recv(512)) >= 12
            except OSError:
                return False

    def _config(self, blackhole_port, responder_port):
        lines = [
            "server:",
            "  interface: 127.0.0.1@%d" % self.port,
        ]
        lines += ["  interface: %s" % address for address in self.extra_addresses]
        lines += [
            '  username: ""',
            '  chroot: ""',
            '  directory: "%s"' % self.directory,
            '  pidfile: "%s"' % os.path.join(self.directory, "unbound.pid"),
            '  logfile: "%s"' % self.log_path,
            "  use-syslog: no",
            "  verbosity: 1",
            "  do-daemonize: no",
            '  module-config: "iterator"',
            "  do-not-query-localhost: no",
            "  access-control: 127.0.0.0/8 allow",
            "  access-control: ::1/128 allow",
            '  local-zone: "." static',
        ]
        if self.negative_ttl is not None:
            # An SOA for ".": NXDOMAIN and NODATA answers carry it, so resolvers cache
            # them for negative_ttl seconds (RFC 2308), as real zones make them do.
            lines.append("  local-data: '. %d IN SOA ns. hostmaster. 1 3600 600 86400 %d'"
                         % (self.negative_ttl, self.negative_ttl))
        # Forwarded names must escape the static zone above to reach their forward-zone.
        zones = self.timeout_names + self.servfail_names + tuple(name for name, _ in self.auth_zones)
        for name in zones:
            lines.append('  local-zone: "%s" transparent' % _absolute(name))
        for record in self.records:
            lines.append("  local-data: '%s'" % self._record_line(record))
        for names, port in ((self.timeout_names, blackhole_port), (self.servfail_names, responder_port)):
            for name in names:
                lines += ["forward-zone:", '  name: "%s"' % _absolute(name),
                          "  forward-addr: 127.0.0.1@%d" % port]
        for name, zonefile in self.auth_zones:
            lines += ["auth-zone:", '  name: "%s"' % _absolute(name), '  zonefile: "%s"' % zonefile,
                      "  for-downstream: yes", "  for-upstream: no", "  fallback-enabled: no"]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _record_line(record):
        name, rtype, value = record[:3]
        ttl = record[3] if len(record) > 3 else DEFAULT_TTL
        rtype = rtype.upper()
        if rtype == "TXT" and not value.startswith('"'):
            value = split_txt(value)
        if "'" in value or "\n" in value:
            raise ValueError("record value cannot hold ' or a newline: %r" % (record,))
        return "%s %d IN %s %s" % (_absolute(name), ttl, rtype, value)
