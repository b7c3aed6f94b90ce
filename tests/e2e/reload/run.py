"""SIGHUP reload after the privilege drop (issue 16 item 4). Runs as root inside
netns-run: creates the system user domainauth-e2e (removed at the end), migrates
an opendkim.conf whose UserID is that user, serves it as root and drives the
milter with tests/e2e/lib/milterclient.py. Checks:
- migrate writes domainauth.toml 0640 root:<the user's group>; init writes its
  keys 0600 and key folders 0700 owned by daemon.user (nobody), its configuration
  0640 root:<nobody's group>;
- a SigningTable change (a second domain) takes effect on SIGHUP: the log says
  event=reloaded and mail from the new domain gets a DKIM-Signature;
- a key, then the SigningTable, made 0600 root: the reload fails naming the file
  and the OS error, and the running configuration still signs both domains;
- serve --check warns about the unreadable key, naming it, and exits 0; serve
  started as root logs the same warning (event=file-not-readable).
Prints "N passed, N failed"; exit status 1 on any failure.
"""

import grp
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from checks import expect, finish
from dnsserver import DnsServer
from milterclient import MilterClient

DOMAINAUTH = os.environ["DOMAINAUTH"]
USER = "domainauth-e2e"
MILTER_PORT = 18891
POLICY_PORT = 10023


def run(*args):
    p = subprocess.run([DOMAINAUTH, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def owner(path):
    st = os.stat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, "%04o" % (st.st_mode & 0o7777)


def primary_group(user):
    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


def ensure_user():
    """Creates USER unless it exists; True when this run created it."""
    try:
        pwd.getpwnam(USER)
        return False
    except KeyError:
        subprocess.run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", USER], check=True)
        return True


def test_init_output(work):
    out = os.path.join(work, "init")
    code, _, err = run("init", "--domain", "example.com", "--out", out)
    expect(code == 0, "init exits 0: " + err)
    expect("warning" not in err, "init as root leaves nothing unreadable by nobody: " + err)
    group = primary_group("nobody")
    expect(owner(os.path.join(out, "domainauth.toml")) == ("root", group, "0640"),
           "init: domainauth.toml 0640 root:%s: %s" % (group, owner(os.path.join(out, "domainauth.toml"))))
    folder = os.path.join(out, "keys", "example.com")
    expect(owner(folder) == ("nobody", group, "0700"), "init: key folder 0700 nobody: %s" % (owner(folder),))
    keys = [f for f in os.listdir(folder) if f.endswith(".private")]
    expect(len(keys) == 2 and all(owner(os.path.join(folder, k)) == ("nobody", group, "0600") for k in keys),
           "init: both keys 0600 owned by nobody: %s" % [owner(os.path.join(folder, k)) for k in keys])
    return [os.path.join(folder, k) for k in sorted(keys)]


def write_setup(work, init_keys):
    """OpenDKIM tables and keys (0600, owned by USER) and an opendkim.conf naming them."""
    tables = os.path.join(work, "opendkim")
    keys = os.path.join(work, "keys")
    os.makedirs(tables)
    os.makedirs(keys)
    user = pwd.getpwnam(USER)
    os.chown(keys, user.pw_uid, user.pw_gid)
    os.chmod(keys, 0o700)
    paths = {}
    for domain in ("example.com", "example.jp"):
        paths[domain] = os.path.join(keys, domain + ".private")
        shutil.copy(init_keys[0], paths[domain])  # the RSA key (yyyymmdd sorts before yyyymmdd-ed)
        os.chown(paths[domain], user.pw_uid, user.pw_gid)
        os.chmod(paths[domain], 0o600)
    with open(os.path.join(tables, "KeyTable"), "w") as f:
        for domain in ("example.com", "example.jp"):
            f.write("k-%s %s:sel:%s\n" % (domain, domain, paths[domain]))
    with open(os.path.join(tables, "SigningTable"), "w") as f:
        f.write("*@example.com k-example.com\n")
    with open(os.path.join(tables, "TrustedHosts"), "w") as f:
        f.write("127.0.0.1\n::1\n")
    conf = os.path.join(work, "opendkim.conf")
    with open(conf, "w") as f:
        f.write("KeyTable %s/KeyTable\nSigningTable refile:%s/SigningTable\n"
                "InternalHosts refile:%s/TrustedHosts\nSocket inet:%d@127.0.0.1\nUserID %s\n"
                % (tables, tables, tables, MILTER_PORT, USER))
    return conf, tables, paths


def signed_by(domain):
    """The d= of the DKIM-Signature the milter adds to a message from domain sent by 127.0.0.1."""
    with MilterClient("inet:127.0.0.1:%d" % MILTER_PORT) as m:
        m.optneg()
        m.macros("C", {"j": "mail.example.com", "{daemon_name}": "smtpd"})
        m.connect("localhost", "4", 25, "127.0.0.1")
        m.helo("localhost")
        result = m.message([("From", "a@" + domain), ("To", "b@example.net"), ("Subject", "reload"),
                            ("Date", "Mon, 7 Dec 2026 10:00:00 +0000"), ("Message-ID", "<1@" + domain + ">")],
                           b"Hello\r\n", sender="<a@%s>" % domain)
        m.quit()
    found = []
    for mod in result.modifications:
        if mod[0] not in ("insheader", "addheader"):
            continue
        name, value = mod[-2:]
        if name.lower() == "dkim-signature":
            tags = dict(t.strip().split("=", 1) for t in value.replace("\r\n", "").split(";") if "=" in t)
            found.append(tags.get("d", "").strip())
    return found


class Daemon:
    def __init__(self, config):
        self.log_path = config + ".log"
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen([DOMAINAUTH, "serve", "--config", config], stderr=self.log_file)
        if not self.wait_for("event=started", 10):
            raise RuntimeError("domainauth serve did not start:\n" + self.log())

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for(self, text, seconds=5, count=1):
        deadline = time.monotonic() + seconds
        while self.log().count(text) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.log().count(text) >= count

    def hup(self):
        self.process.send_signal(signal.SIGHUP)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()


def make_root_only(path):
    os.chown(path, 0, 0)
    os.chmod(path, 0o600)


def test_reload(work, config, tables, keys):
    daemon = Daemon(config)
    try:
        log = daemon.log()
        expect("user=" + USER in log, "serve dropped to %s: %s" % (USER, log))
        expect("file-not-readable" not in log, "nothing unreadable at start: " + log)
        expect(signed_by("example.com") == ["example.com"], "example.com is signed before the reload")
        expect(signed_by("example.jp") == [], "example.jp is not signed before the reload")

        with open(os.path.join(tables, "SigningTable"), "a") as f:
            f.write("*@example.jp k-example.jp\n")
        daemon.hup()
        expect(daemon.wait_for("event=reloaded"), "the reload after the drop succeeds: " + daemon.log())
        expect("reload-failed" not in daemon.log(), "no reload-failed: " + daemon.log())
        expect(signed_by("example.jp") == ["example.jp"], "example.jp is signed after the reload")

        make_root_only(keys["example.jp"])
        daemon.hup()
        expect(daemon.wait_for("event=reload-failed"), "a root-only key makes the reload fail")
        failed = [l for l in daemon.log().splitlines() if "event=reload-failed" in l]
        expect(any(keys["example.jp"] in l and "Permission denied" in l and "running configuration stays" in l
                   for l in failed), "the failure names the key and the OS error and keeps the configuration: %s"
               % failed)
        expect(daemon.log().count("event=reloaded") == 1, "no second event=reloaded")
        expect(signed_by("example.jp") == ["example.jp"], "the running configuration still signs example.jp")
        expect(signed_by("example.com") == ["example.com"], "and example.com")

        code, out, err = run("serve", "--config", config, "--check")
        expect(code == 0, "serve --check exits 0 with a warning: %d %s" % (code, err))
        expect(keys["example.jp"] + ": not readable by user " + USER in err and "mode 0600, owner root:root" in err,
               "serve --check names the unreadable key, the user and why: " + err)

        os.chown(keys["example.jp"], pwd.getpwnam(USER).pw_uid, pwd.getpwnam(USER).pw_gid)
        signing_table = os.path.join(tables, "SigningTable")
        make_root_only(signing_table)
        daemon.hup()
        expect(daemon.wait_for("event=reload-failed", count=2), "a root-only SigningTable makes the reload fail")
        failed = [l for l in daemon.log().splitlines() if "event=reload-failed" in l][1:]
        expect(any(signing_table in l and "Permission denied" in l for l in failed),
               "the failure names the SigningTable and the OS error: %s" % failed)
        expect(signed_by("example.jp") == ["example.jp"], "still signing with the running configuration")
    finally:
        daemon.stop()
    # Started again as root with the SigningTable root-only: it warns before dropping.
    restarted = Daemon(config)
    restarted.stop()
    expect(any("event=file-not-readable" in l and signing_table + ": not readable by user " + USER in l
               for l in restarted.log().splitlines()), "serve warns at start naming the file: " + restarted.log())


def main():
    created = ensure_user()
    work = tempfile.mkdtemp(prefix="domainauth-reload-")
    os.chmod(work, 0o755)  # the daemon's user reads below it
    try:
        init_keys = test_init_output(work)
        conf, tables, keys = write_setup(work, init_keys)
        config = os.path.join(work, "domainauth.toml")
        code, _, err = run("migrate", "--opendkim", conf, "--out", config)
        expect(code == 0, "migrate exits 0: " + err)
        group = primary_group(USER)
        expect(owner(config) == ("root", group, "0640"),
               "migrate: domainauth.toml 0640 root:%s: %s" % (group, owner(config)))
        with DnsServer([]) as dns, open(config, "a") as f:
            f.write('\n[dns]\nservers = ["%s"]\n\n[policy]\nlisten = ["inet:127.0.0.1:%d"]\n' % (dns.spec, POLICY_PORT))
            f.close()
            code, out, err = run("serve", "--config", config, "--check")
            expect(code == 0 and "warning" not in err, "serve --check is clean before: %s %s" % (out, err))
            test_reload(work, config, tables, keys)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if created:
            subprocess.run(["userdel", USER], check=False)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
