"""A scripted milter client: plays the MTA side of the milter protocol (version 6,
as Postfix's milter8.c speaks it) so end-to-end tests can drive a milter directly.

    from milterclient import MilterClient
    with MilterClient("inet:127.0.0.1:8891") as m:
        m.optneg()
        m.macros("C", {"j": "mx.example", "{daemon_name}": "smtpd"})
        assert m.connect("client.example", "4", 25, "192.0.2.1").code == "c"
        m.helo("client.example")
        m.mail("<a@example.org>", "SIZE=100")
        m.rcpt("<b@example.net>")
        m.data()
        m.header("From", "a@example.org")
        m.eoh()
        m.body(b"Hello\\r\\n")
        result = m.eom()          # result.modifications, result.reply, result.progress
        m.quit()

Replies are read unless the negotiated protocol steps say the milter sends none
(SMFIP_NR_*); then the call returns None. Raw packets (send/read_packet/raw) allow
malformed input. Reads untrusted bytes from the milter under test; every read has
a timeout, so a silent milter fails the test instead of hanging it.
"""

import socket
import struct
from dataclasses import dataclass, field

# SMFIP_* protocol steps the client needs to know (no-reply flags).
NR_CONN, NR_HELO, NR_MAIL, NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
NR_DATA, NR_UNKN, NR_EOH, NR_BODY, NR_HDR = 0x10000, 0x20000, 0x40000, 0x80000, 0x80
ALL_ACTIONS = 0x1FF
ALL_STEPS = 0x1FFFFF

FINAL_REPLIES = set("acrtdsy")  # accept, continue, reject, tempfail, discard, skip, replycode


class ConnectionClosed(Exception):
    """The milter closed the connection (or sent a truncated packet)."""


@dataclass
class Reply:
    code: str            # one of FINAL_REPLIES
    text: str = ""       # SMFIR_REPLYCODE text


@dataclass
class Negotiated:
    version: int
    actions: int
    steps: int
    macros: dict = field(default_factory=dict)  # SMFIM stage -> names


@dataclass
class EndOfMessage:
    modifications: list  # tuples: ("addheader", name, value), ("insheader", index, name, value), ...
    reply: Reply
    progress: int = 0    # SMFIR_PROGRESS packets seen before the reply


def parse_address(address):
    """'inet:HOST:PORT' / 'unix:/path' -> (family, sockaddr)."""
    if address.startswith(("unix:", "local:")):
        return socket.AF_UNIX, address.split(":", 1)[1]
    if address.startswith("inet:"):
        host, port = address[5:].rsplit(":", 1)
        host = host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return family, (host, int(port))
    raise ValueError("bad milter address: " + address)


def packet(code, payload=b""):
    """One milter packet: 4-byte big-endian length, command byte, payload."""
    if isinstance(code, str):
        code = code.encode()
    return struct.pack(">I", len(payload) + 1) + code + payload


def strings(*values):
    """NUL-terminated strings, as milter packets carry them."""
    return b"".join((v.encode() if isinstance(v, str) else v) + b"\0" for v in values)


def milter_form(message):
    """Wire message -> ([(name, value)], body) as Postfix hands them to a milter: the value
    keeps the space after the colon (SMFIP_HDR_LEADSPC, which OpenDKIM asks for), folded
    lines joined with LF; the body with CRLF line endings."""
    head, _, body = message.replace(b"\r\n", b"\n").partition(b"\n\n")
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\n" + line
        else:
            fields.append(line)
    headers = [tuple(field.split(b":", 1)) for field in fields]
    return headers, body.replace(b"\n", b"\r\n")


class MilterClient:
    def __init__(self, address, timeout=10.0):
        family, sockaddr = parse_address(address)
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(sockaddr)
        if family != socket.AF_UNIX:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.steps = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    # ---- raw packets

    def raw(self, data):
        self.sock.sendall(data)

    def send(self, code, payload=b""):
        self.sock.sendall(packet(code, payload))

    def _read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionClosed("milter closed the connection")
            data += chunk
        return data

    def read_packet(self):
        """(code, payload) of the next packet."""
        (length,) = struct.unpack(">I", self._read_exact(4))
        if length == 0:
            raise ConnectionClosed("empty packet")
        data = self._read_exact(length)
        return chr(data[0]), data[1:]

    def is_closed(self):
        """True when the milter has closed the connection (EOF or reset)."""
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True

    # ---- replies

    def _reply(self, no_reply_flag=0):
        if self.steps & no_reply_flag:
            return None
        code, payload = self.read_packet()
        if code not in FINAL_REPLIES:
            raise AssertionError("unexpected reply %r %r" % (code, payload))
        return Reply(code, payload.rstrip(b"\0").decode("utf-8", "replace"))

    @staticmethod
    def _parse_modification(code, payload):
        parts = payload.split(b"\0")
        text = [p.decode("utf-8", "replace") for p in parts]
        if code in "im":
            (index,) = struct.unpack(">I", payload[:4])
            name, value = payload[4:].split(b"\0")[:2]
            kind = "insheader" if code == "i" else "chgheader"
            return (kind, index, name.decode(), value.decode("utf-8", "replace"))
        kinds = {"h": "addheader", "q": "quarantine", "+": "addrcpt", "2": "addrcpt_par",
                 "-": "delrcpt", "e": "chgfrom"}
        if code not in kinds:
            raise AssertionError("unexpected packet %r at end of message" % code)
        return (kinds[code], *text[:-1])

    # ---- commands

    def optneg(self, version=6, actions=ALL_ACTIONS, steps=ALL_STEPS):
        self.send("O", struct.pack(">III", version, actions, steps))
        code, payload = self.read_packet()
        if code != "O" or len(payload) < 12:
            raise AssertionError("bad negotiation reply %r %r" % (code, payload))
        got = Negotiated(*struct.unpack(">III", payload[:12]))
        rest = payload[12:]
        while len(rest) >= 4:
            (stage,) = struct.unpack(">I", rest[:4])
            names, _, rest = rest[4:].partition(b"\0")
            got.macros[stage] = names.decode()
        self.steps = got.steps
        return got

    def macros(self, stage, values):
        self.send("D", stage.encode() + b"".join(strings(k, v) for k, v in values.items()))

    def connect(self, hostname, family="4", port=25, address="127.0.0.1"):
        payload = strings(hostname) + family.encode()
        if family != "U":
            payload += struct.pack(">H", port) + strings(address)
        self.send("C", payload)
        return self._reply(NR_CONN)

    def helo(self, name):
        self.send("H", strings(name))
        return self._reply(NR_HELO)

    def mail(self, sender, *args):
        self.send("M", strings(sender, *args))
        return self._reply(NR_MAIL)

    def rcpt(self, recipient, *args):
        self.send("R", strings(recipient, *args))
        return self._reply(NR_RCPT)

    def data(self):
        self.send("T")
        return self._reply(NR_DATA)

    def header(self, name, value):
        self.send("L", strings(name, value))
        return self._reply(NR_HDR)

    def eoh(self):
        self.send("N")
        return self._reply(NR_EOH)

    def body(self, chunk):
        self.send("B", chunk)
        return self._reply(NR_BODY)

    def eom(self, tail=b""):
        self.send("E", tail)
        mods, progress = [], 0
        while True:
            code, payload = self.read_packet()
            if code == "p":
                progress += 1
            elif code in FINAL_REPLIES:
                text = payload.rstrip(b"\0").decode("utf-8", "replace")
                return EndOfMessage(mods, Reply(code, text), progress)
            else:
                mods.append(self._parse_modification(code, payload))

    def abort(self):
        self.send("A")

    def unknown(self, line):
        self.send("U", strings(line))
        return self._reply(NR_UNKN)

    def quit(self):
        self.send("Q")

    def quit_nc(self):
        self.send("K")

    # ---- a whole message

    def message(self, headers, body, sender="<a@example.org>", recipients=("<b@example.net>",), chunk=65535):
        """MAIL .. EOM for one message; returns the EndOfMessage."""
        self.mail(sender)
        for r in recipients:
            self.rcpt(r)
        self.data()
        for name, value in headers:
            self.header(name, value)
        self.eoh()
        for i in range(0, len(body), chunk):
            self.body(body[i:i + chunk])
        return self.eom()
