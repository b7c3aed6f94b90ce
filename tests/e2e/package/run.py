"""Install test of the Debian package (issue 17 item 7). Runs as root inside
tests/e2e/lib/netns-run; argument 1 is the build folder (its domainauth binary
built). Steps, each checked:
- cpack builds domainauth_<version>_<arch>.deb; lintian reports no error;
- /etc, /usr and /var become overlays on a tmpfs and /run a fresh tmpfs, in this
  private mount namespace only: dpkg, adduser and the daemon change nothing on
  the machine, and nothing is left behind even when the test fails;
- dpkg -i: files, owners and modes, the conffile, the domainauth user and group,
  the dependencies (dpkg-shlibdeps, runtime libraries only), configtest (and its
  alias serve --check) as the user and with --json, systemd-analyze verify and the
  unit's security exposure;
- the unit's ExecStart under setpriv as User=/Group= with the unit's UMask,
  LimitNOFILE and the environment systemd gives (NOTIFY_SOCKET, JOURNAL_STREAM):
  READY=1 arrives, log lines carry journal priorities, mail from Postfix through
  the unix sockets in /run/domainauth is signed; after a key change, ExecReload
  (SIGHUP): RELOADING=1, READY=1, and the new selector signs; SIGTERM: STOPPING=1;
- dpkg --remove keeps configuration, keys and state; dpkg --purge removes them
  and every file the package had.
Prints "N passed, N failed"; exit status 1 on any failure.
"""

import glob
import grp
import json
import os
import pwd
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from checks import expect, finish
from dnsserver import DnsServer
from postfix import Postfix

BUILD = os.path.abspath(sys.argv[1])
USER = "domainauth"
UNIT = "/lib/systemd/system/domainauth.service"
CONFIG = "/etc/domainauth/domainauth.toml"
MILTER_SOCKET = "/run/domainauth/milter.sock"
POLICY_SOCKET = "/run/domainauth/policy.sock"
# systemd-analyze security's exposure (0 best, 10 worst): 1.2 "OK" when written; a
# weakened unit fails here.
MAX_EXPOSURE = 1.5


def run(*args, check=True, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, check=check, **kwargs)


def owner(path):
    st = os.stat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, "%04o" % (st.st_mode & 0o7777)


def build_package(work):
    out = os.path.join(work, "cpack")
    p = run("cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out, check=False)
    debs = glob.glob(os.path.join(out, "domainauth_*.deb"))
    expect(p.returncode == 0 and len(debs) == 1, "cpack builds one package: %s %s" % (p.stdout, p.stderr))
    return debs[0]


def check_lintian(deb):
    p = run("lintian", "--tag-display-limit", "0", deb, check=False)
    errors = [l for l in p.stdout.splitlines() if l.startswith("E:")]
    expect(not errors, "lintian reports no error: %s" % errors)
    print("lintian:\n" + p.stdout)


def isolate():
    """Overlays on /etc, /usr, /var and a tmpfs on /run, visible in this namespace only."""
    with open("/etc/resolv.conf") as f:
        resolv = f.read()  # netns-run's bind mount, hidden by the /etc overlay
    layers = "/mnt"  # a tmpfs mounted there in this namespace leaves no folder behind
    run("mount", "-t", "tmpfs", "-o", "size=512m,mode=0755", "tmpfs", layers)
    for top in ("etc", "usr", "var"):
        upper, workdir = os.path.join(layers, top, "upper"), os.path.join(layers, top, "work")
        os.makedirs(upper)
        os.makedirs(workdir)
        run("mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=/%s,upperdir=%s,workdir=%s" % (top, upper, workdir), "/" + top)
    run("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run")
    os.mkdir("/run/lock")
    if os.path.lexists("/etc/resolv.conf"):
        os.remove("/etc/resolv.conf")
    with open("/etc/resolv.conf", "w") as f:
        f.write(resolv)
    # Package scripts start no service here (there is no systemd either).
    with open("/usr/sbin/policy-rc.d", "w") as f:
        f.write("#!/bin/sh\nexit 101\n")
    os.chmod("/usr/sbin/policy-rc.d", 0o755)
    # netns-run made it on the machine for the other tests; the package must make its own.
    if os.path.isdir("/var/lib/domainauth"):
        shutil.rmtree("/var/lib/domainauth")


def check_installed():
    expect(owner("/usr/sbin/domainauth") == ("root", "root", "0755"), "binary: %s" % (owner("/usr/sbin/domainauth"),))
    expect(owner(CONFIG) == ("root", "root", "0644"), "configuration: %s" % (owner(CONFIG),))
    conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "domainauth").stdout
    expect(CONFIG in conffiles, "the configuration is a conffile: %r" % conffiles)
    expect(os.path.isfile(UNIT) and os.path.isfile("/usr/lib/tmpfiles.d/domainauth.conf"), "unit and tmpfiles.d entry")
    expect(os.path.isfile("/usr/share/doc/domainauth/copyright"), "copyright file")
    account = pwd.getpwnam(USER)
    expect(account.pw_uid < 1000 and account.pw_shell == "/usr/sbin/nologin"
           and grp.getgrgid(account.pw_gid).gr_name == USER, "system user with its group: %s" % (account,))
    for path, want in (("/var/lib/domainauth", (USER, USER, "0750")), ("/run/domainauth", (USER, USER, "0750")),
                       ("/etc/domainauth/keys", (USER, USER, "0700"))):
        expect(os.path.isdir(path) and owner(path) == want, "%s %s: %s" % (path, want, owner(path)))
    postfix_groups = run("id", "-Gn", "postfix").stdout.split()
    expect(USER in postfix_groups, "postfix is in the domainauth group: %s" % postfix_groups)
    depends = run("dpkg-query", "-W", "-f=${Depends}", "domainauth").stdout
    names = [d.strip().split()[0] for d in re.split(r"[,|]", depends)]
    expect("adduser" in names and "libc6" in names and "libssl3" in names and "libunbound8" in names,
           "dependencies from dpkg-shlibdeps: %s" % depends)
    expect(not [n for n in names if n.endswith("-dev")], "no -dev package among the dependencies: %s" % depends)
    # The daemon reads the conffile as it comes: embedded defaults, as the user.
    as_user = ["setpriv", "--reuid", USER, "--regid", USER, "--init-groups", "/usr/sbin/domainauth"]
    for command in (["configtest"], ["serve", "--check"]):
        p = run(*as_user, *command, "--config", CONFIG, check=False)
        expect(p.returncode == 0 and "warning" not in p.stderr and "configuration ok" in p.stdout,
               "%s: the shipped configuration checks: %s %s" % (command, p.stdout, p.stderr))


def check_configtest(work):
    """configtest --json: errors as file:line: key: message, exit 1; ok with the key count."""
    bad = os.path.join(work, "bad.toml")
    with open(bad, "w") as f:
        f.write('[dns]\ntimeout = "soon"\n')
    p = run("/usr/sbin/domainauth", "configtest", "--json", "--config", bad, check=False)
    result = json.loads(p.stdout or "{}")
    expect(p.returncode == 1 and result.get("ok") is False
           and any(e.startswith(bad + ":2: dns.timeout: ") for e in result.get("errors", [])),
           "configtest --json on a bad file: %d %s" % (p.returncode, p.stdout))
    p = run("/usr/sbin/domainauth", "configtest", "--json", "--config", CONFIG, check=False)
    result = json.loads(p.stdout or "{}")
    expect(p.returncode == 0 and result == {"ok": True, "errors": [], "warnings": [], "signing_keys": 0},
           "configtest --json on the shipped file: %d %s" % (p.returncode, p.stdout))


def check_unit():
    p = run("systemd-analyze", "verify", UNIT, check=False)
    expect(p.returncode == 0, "systemd-analyze verify: %s %s" % (p.stdout, p.stderr))
    p = run("systemd-analyze", "security", "--offline=true", UNIT, check=False)
    found = re.search(r"Overall exposure level for domainauth.service: ([0-9.]+) (\S+)", p.stdout)
    expect(found and float(found.group(1)) <= MAX_EXPOSURE, "exposure at most %s: %s"
           % (MAX_EXPOSURE, found.group(0) if found else p.stdout + p.stderr))
    if found:
        print(found.group(0))


def unit_settings():
    settings = {}
    with open(UNIT) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, value = line.rstrip("\n").split("=", 1)
                settings.setdefault(key, value)
    return settings


def keygen(selector):
    folder = "/etc/domainauth/keys/example.com"
    os.makedirs(folder, 0o700, exist_ok=True)
    run("/usr/sbin/domainauth", "dkim", "keygen", "--domain", "example.com", "--selector", selector, "--out", folder)
    account = pwd.getpwnam(USER)
    for path in (folder, os.path.join(folder, selector + ".private")):
        os.chown(path, account.pw_uid, account.pw_gid)
    with open(os.path.join(folder, selector + ".txt")) as f:
        record = re.sub(r'[\s"]+', "", f.read().split("(", 1)[1].rsplit(")", 1)[0])
    return os.path.join(folder, selector + ".private"), record


def write_config(dns, selector, key):
    with open(CONFIG, "w") as f:
        f.write('[daemon]\nuser = "domainauth"\n[dns]\nservers = ["%s"]\n'
                '[milter]\nlisten = ["unix:%s"]\n[policy]\nlisten = ["unix:%s"]\n'
                '[[sign.key]]\ndomain = "example.com"\nselector = "%s"\nkey_file = "%s"\n'
                % (dns.spec, MILTER_SOCKET, POLICY_SOCKET, selector, key))


class Service:
    """The unit's ExecStart as systemd would run it, without systemd."""

    def __init__(self, work):
        unit = unit_settings()
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify_path = os.path.join(work, "notify")
        self.notify.bind(notify_path)
        os.chmod(notify_path, 0o777)  # as /run/systemd/notify: any service may write
        self.log_path = os.path.join(work, "journal")
        self.log = open(self.log_path, "w")
        st = os.fstat(self.log.fileno())
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
               "USER": unit["User"], "LOGNAME": unit["User"], "HOME": "/var/lib/domainauth",
               "SHELL": "/usr/sbin/nologin", "NOTIFY_SOCKET": notify_path,
               "JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino),
               "RUNTIME_DIRECTORY": "/run/" + unit["RuntimeDirectory"],
               "STATE_DIRECTORY": "/var/lib/" + unit["StateDirectory"]}
        limit = int(unit["LimitNOFILE"])
        umask = int(unit["UMask"], 8)

        def limits():
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
            os.umask(umask)

        command = ["setpriv", "--reuid", unit["User"], "--regid", unit["Group"], "--init-groups",
                   "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"] + shlex.split(unit["ExecStart"])
        self.reload_command = unit["ExecReload"]
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                        stderr=self.log, preexec_fn=limits)

    def states(self, want, seconds=10):
        """The notifications received until want arrives (or seconds pass)."""
        got = []
        deadline = time.monotonic() + seconds
        while want not in got and time.monotonic() < deadline:
            self.notify.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                got += self.notify.recv(4096).decode().split("\n")
            except socket.timeout:
                break
        return got

    def journal(self):
        with open(self.log_path) as f:
            return f.read()

    def reload(self):
        command = self.reload_command.replace("$MAINPID", str(self.process.pid))
        subprocess.run(shlex.split(command), check=True)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def dkim_selector(mta, subject):
    message = mta.wait_for_message(lambda m: subject in m.data)
    signatures = message.header("DKIM-Signature")
    tags = [dict(t.strip().split("=", 1) for t in s.split(";") if "=" in t) for s in signatures]
    return [(t.get("d", "").strip(), t.get("s", "").strip()) for t in tags]


def send(mta, subject):
    mta.send("a@example.com", ["b@example.org"],
             "From: a@example.com\r\nTo: b@example.org\r\nSubject: %s\r\n"
             "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <%s@example.com>\r\n\r\nHello\r\n"
             % (subject, subject), source="127.0.0.1")


def serve_and_reload(work):
    key1, record1 = keygen("sel1")
    key2, record2 = keygen("sel2")
    records = [("sel1._domainkey.example.com", "TXT", record1), ("sel2._domainkey.example.com", "TXT", record2),
               ("example.com", "TXT", "v=spf1 ip4:127.0.0.1 -all")]
    with DnsServer(records) as dns:
        write_config(dns, "sel1", key1)
        service = Service(work)
        try:
            states = service.states("READY=1")
            expect("READY=1" in states, "READY=1 once serving: %s\n%s" % (states, service.journal()))
            journal = service.journal()
            expect(re.search(r"^<6>event=started .*user=domainauth", journal, re.M) is not None,
                   "journal lines with priority <6>, no time stamp: " + journal)
            expect(owner(MILTER_SOCKET)[:2] == (USER, USER), "milter socket: %s" % (owner(MILTER_SOCKET),))
            milter = "unix:" + MILTER_SOCKET
            main_cf = {"smtpd_milters": milter, "non_smtpd_milters": milter, "milter_default_action": "tempfail",
                       "smtpd_recipient_restrictions":
                           "reject_unauth_destination, check_policy_service unix:" + POLICY_SOCKET}
            with Postfix(main_cf=main_cf) as mta:
                send(mta, "before-reload")
                expect(dkim_selector(mta, "before-reload") == [("example.com", "sel1")],
                       "signed with sel1 through the unix socket")
                write_config(dns, "sel2", key2)
                service.reload()
                states = service.states("READY=1")
                expect(any(s.startswith("RELOADING=1") or s == "RELOADING=1" for s in states) and "READY=1" in states,
                       "RELOADING=1 then READY=1 around the reload: %s" % states)
                expect("<6>event=reloaded" in service.journal(), "reloaded: " + service.journal())
                send(mta, "after-reload")
                expect(dkim_selector(mta, "after-reload") == [("example.com", "sel2")],
                       "signed with sel2 after SIGHUP: %s" % mta.maillog()[-2000:])
        finally:
            status = service.stop()
        expect(status == 0, "exit status 0 after SIGTERM: %s" % status)
        expect("STOPPING=1" in service.states("STOPPING=1", 1), "STOPPING=1 at SIGTERM")
        expect(not os.path.exists(MILTER_SOCKET), "the milter socket is gone after the stop")


def check_remove_and_purge(files):
    run("dpkg", "--remove", "domainauth")
    expect(not os.path.exists("/usr/sbin/domainauth"), "remove: the binary is gone")
    kept = [CONFIG, "/etc/domainauth/keys/example.com/sel1.private", "/var/lib/domainauth"]
    expect(all(os.path.exists(p) for p in kept), "remove keeps configuration, keys and state: %s"
           % [p for p in kept if not os.path.exists(p)])
    run("dpkg", "--purge", "domainauth")
    status = run("dpkg-query", "-W", "-f=${Status}", "domainauth", check=False).stdout
    expect("installed" not in status or "not-installed" in status, "purged: %r" % status)
    left = [p for p in files + ["/etc/domainauth", "/var/lib/domainauth", "/run/domainauth"] if os.path.lexists(p)]
    expect(not left, "purge leaves nothing of the package: %s" % left)


def main():
    work = tempfile.mkdtemp(prefix="domainauth-package-")
    os.chmod(work, 0o755)  # the notify socket is reached by the daemon's user
    try:
        deb = build_package(work)
        check_lintian(deb)
        isolate()
        p = run("dpkg", "-i", deb, check=False, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if not expect(p.returncode == 0, "dpkg -i: %s %s" % (p.stdout, p.stderr)):
            return finish()
        files = [l for l in run("dpkg", "-L", "domainauth").stdout.splitlines()
                 if "domainauth" in l and l != "/."]
        check_installed()
        check_configtest(work)
        check_unit()
        serve_and_reload(work)
        check_remove_and_purge(files)
    finally:
        if not os.environ.get("DOMAINAUTH_KEEP_TEMP"):
            shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
