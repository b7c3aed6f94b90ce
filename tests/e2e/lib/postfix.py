"""A private Postfix 3.7 instance on loopback, for end-to-end tests.

Usage (inside tests/e2e/lib/netns-run, as root, loopback only):

    from postfix import Postfix

    with Postfix(smtpd_port=2525, main_cf={"smtpd_recipient_restrictions":
                 "reject_unauth_destination, check_policy_service inet:127.0.0.1:10023"},
                 master_cf=["127.0.0.1:2527 inet n - n - - smtpd -o smtpd_milters=unix:/x"]) as mta:
        mta.send("a@example.com", ["b@example.org"], "Subject: hi\\r\\n\\r\\nbody\\r\\n",
                 source="127.0.0.10", helo="client.example.com")     # raises smtplib errors on refusal
        message = mta.wait_for_message(lambda m: "hi" in m.data)     # CapturedMessage
        print(message.data, message.mail_from, message.rcpt_to)
        print(mta.maillog())

- Everything lives in a temporary folder (config_directory, queue_directory,
  data_directory, maillog_file), removed on exit; Postfix is stopped on exit.
- smtpd listens on 127.0.0.1:smtpd_port; mail for relay_domains goes by SMTP to
  relayhost [127.0.0.1]:sink_port, where a small Python capture server keeps every
  message it receives (CapturedMessage: mail_from, rcpt_to, data as text).
- mynetworks holds no 127.0.0.0/8 address, so a client on 127.0.0.x plays an outside
  host; smtp_dns_support_level = disabled, so Postfix itself looks nothing up.
- main_cf: extra or overriding main.cf parameters; master_cf: extra master.cf lines
  (e.g. a spawn service or a second smtpd with -o overrides). The milter tests add
  smtpd_milters / non_smtpd_milters here.
- There is no syslog daemon: Postfix logs to maillog_file (read with maillog()).
"""

import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
import time

START_TIMEOUT_SECONDS = 20.0
DELIVERY_TIMEOUT_SECONDS = 30.0
SMTP_LINE_LIMIT = 10000  # the capture server's cap on one command line

MASTER_CF = """\
{smtpd_address} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class CapturedMessage:
    def __init__(self, mail_from, rcpt_to, data):
        self.mail_from = mail_from
        self.rcpt_to = rcpt_to
        self.data = data

    def header(self, name):
        """The unfolded values of every header field called name, in order."""
        head = self.data.split("\r\n\r\n", 1)[0]
        fields = []
        for line in head.split("\r\n"):
            if line[:1] in (" ", "\t") and fields:
                fields[-1] += " " + line.strip()
            else:
                fields.append(line)
        prefix = name.lower() + ":"
        return [f.split(":", 1)[1].strip() for f in fields if f.lower().startswith(prefix)]


class CaptureServer:
    """A minimal SMTP server (RFC 5321 subset Postfix's smtp client needs) on 127.0.0.1:port."""

    def __init__(self, port):
        self.messages = []
        self._cond = threading.Condition()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(32)
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        # shutdown() wakes the accept() of the serving thread; close() alone leaves the
        # socket listening (Linux) until that accept() returns.
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        reader = conn.makefile("rb")
        send = lambda text: conn.sendall(text.encode() + b"\r\n")
        try:
            send("220 capture.test ESMTP")
            mail_from, rcpt_to = None, []
            while True:
                line = reader.readline(SMTP_LINE_LIMIT)
                if not line:
                    return
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    send("250 capture.test")
                elif verb == "MAIL":
                    mail_from, rcpt_to = command.split(":", 1)[1].strip(), []
                    send("250 2.1.0 ok")
                elif verb == "RCPT":
                    rcpt_to.append(command.split(":", 1)[1].strip())
                    send("250 2.1.5 ok")
                elif verb == "DATA":
                    send("354 go ahead")
                    self._store(mail_from, rcpt_to, self._read_data(reader))
                    send("250 2.0.0 queued")
                elif verb == "QUIT":
                    send("221 2.0.0 bye")
                    return
                else:  # RSET, NOOP and anything else
                    send("250 ok")
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def _read_data(reader):
        lines = []
        while True:
            line = reader.readline(SMTP_LINE_LIMIT)
            if not line or line in (b".\r\n", b".\n"):
                break
            lines.append(line[1:] if line.startswith(b"..") else line)  # RFC 5321 4.5.2
        return b"".join(lines).decode("utf-8", "replace")

    def _store(self, mail_from, rcpt_to, data):
        with self._cond:
            self.messages.append(CapturedMessage(mail_from, rcpt_to, data))
            self._cond.notify_all()

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)


class Postfix:
    def __init__(self, smtpd_port=2525, sink_port=2526, main_cf=None, master_cf=(),
                 relay_domains="example.org"):
        self.smtpd_port = smtpd_port
        self.sink_port = sink_port
        self._main_extra = dict(main_cf or {})
        self._master_extra = list(master_cf)
        self._relay_domains = relay_domains
        self.directory = None
        self.capture = None

    # --- life cycle -----------------------------------------------------------------
    def __enter__(self):
        self.directory = tempfile.mkdtemp(prefix="domainauth-postfix-")
        os.chmod(self.directory, 0o755)  # Postfix's unprivileged daemons walk into it
        for sub in ("queue", "data"):
            os.mkdir(os.path.join(self.directory, sub), 0o755)
        shutil.chown(os.path.join(self.directory, "data"), "postfix", "postfix")
        self._write_config()
        self.capture = CaptureServer(self.sink_port)
        try:
            self._postfix("start")
            self._wait_listening()
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.directory:
            subprocess.call(["postfix", "-c", self.config_directory, "stop"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._wait_master_gone()
        if self.capture:
            self.capture.close()
        if self.directory and not os.environ.get("DOMAINAUTH_KEEP_TEMP"):
            shutil.rmtree(self.directory, ignore_errors=True)
        return False

    @property
    def config_directory(self):
        return os.path.join(self.directory, "etc")

    @property
    def queue_directory(self):
        return os.path.join(self.directory, "queue")

    @property
    def maillog_path(self):
        return os.path.join(self.directory, "maillog")

    def maillog(self):
        try:
            with open(self.maillog_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # --- mail -----------------------------------------------------------------------
    def send(self, sender, recipients, message, source="127.0.0.10", helo="client.example.com", port=None):
        """Sends one message from source (a 127.0.0.x address); smtplib raises on refusal."""
        with smtplib.SMTP("127.0.0.1", port or self.smtpd_port, local_hostname=helo,
                          source_address=(source, 0), timeout=60) as client:
            client.sendmail(sender, recipients, message)

    def wait_for_message(self, predicate, timeout=DELIVERY_TIMEOUT_SECONDS):
        message = self.capture.wait_for(predicate, timeout)
        if message is None:
            raise AssertionError("no matching message delivered within %ss; maillog:\n%s"
                                 % (timeout, self.maillog()[-4000:]))
        return message

    # --- internals ------------------------------------------------------------------
    def _main_cf(self):
        params = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_directory,
            "data_directory": os.path.join(self.directory, "data"),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "mx.postfix.test",
            "mydomain": "postfix.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            # No 127/8 address: a client on 127.0.0.x is an outside host.
            "mynetworks": "192.0.2.254/32",
            "relay_domains": self._relay_domains,
            "relayhost": "[127.0.0.1]:%d" % self.sink_port,
            "smtp_dns_support_level": "disabled",
            "smtpd_recipient_restrictions": "reject_unauth_destination",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            "maillog_file": self.maillog_path,
            "maillog_file_prefixes": self.directory,
            "smtputf8_enable": "no",
            "smtpd_banner": "$myhostname ESMTP",
            "default_destination_concurrency_limit": "20",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
        }
        params.update(self._main_extra)
        return "".join("%s = %s\n" % item for item in params.items())

    def _write_config(self):
        os.mkdir(self.config_directory, 0o755)
        with open(os.path.join(self.config_directory, "main.cf"), "w") as f:
            f.write(self._main_cf())
        with open(os.path.join(self.config_directory, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(smtpd_address="127.0.0.1:%d" % self.smtpd_port))
            for line in self._master_extra:
                f.write(line + "\n")

    def _postfix(self, *args):
        run = subprocess.run(["postfix", "-c", self.config_directory] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if run.returncode != 0:
            raise RuntimeError("postfix %s failed:\n%s\n%s" % (" ".join(args), run.stdout, self.maillog()))

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.smtpd_port), timeout=1) as s:
                    if s.recv(512).startswith(b"220"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Postfix did not come up on port %d; maillog:\n%s" % (self.smtpd_port, self.maillog()))

    def _wait_master_gone(self):
        pid_file = os.path.join(self.queue_directory, "pid", "master.pid")
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while os.path.exists(pid_file) and time.monotonic() < deadline:
            time.sleep(0.1)
