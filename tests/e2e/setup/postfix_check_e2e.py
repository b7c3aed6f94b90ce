"""`domainauth check --postfix` against real Postfix configurations: postconf -c
reads a temporary directory holding main.cf and master.cf (Postfix itself is
not started). A configuration wired as the README says, with `domainauth serve`
running on loopback, gives no error or warning about Postfix; each deliberately
broken main.cf / master.cf gives its finding (id, severity, subject) in --json
and exit status 3 when it is an error. Domains in real lookup tables (postmap'd
hash, btree and lmdb; texthash, inline:, /file) are judged one by one, and the
seed setup's absolute milter socket paths are resolved per master.cf chroot
column. Run inside netns-run.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from checks import expect, finish
from dnsserver import DnsServer
from setup_e2e import zone_records

DOMAINAUTH = os.environ["DOMAINAUTH"]

GOOD_MAIN = {
    "compatibility_level": "3.6",
    "mydestination": "localhost",
    "virtual_alias_domains": "example.com",
    "smtpd_milters": "inet:127.0.0.1:8891",
    "non_smtpd_milters": "inet:127.0.0.1:8891",
    "milter_default_action": "tempfail",
    "smtpd_relay_restrictions": "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
    "smtpd_recipient_restrictions":
        "permit_mynetworks, reject_unauth_destination, check_policy_service inet:127.0.0.1:10023",
    "smtp_tls_security_level": "may",
    "smtp_bind_address": "192.0.2.10",
    "inet_protocols": "ipv4",
}
GOOD_MASTER = ["submission inet n - y - - smtpd -o smtpd_milters=inet:127.0.0.1:8891"]
SPAWN = "policy unix - n n - - spawn user=nobody argv=/usr/sbin/domainauth policy"
NO_RELAY_CHECK = "permit_mynetworks, permit_sasl_authenticated"

# (what, main.cf changes, master.cf lines, id, severity, subject)
BROKEN = [
    ("smtpd_milters names another socket", {"smtpd_milters": "inet:127.0.0.1:9999"}, None,
     "postfix.smtpd_milters", "error", "smtpd_milters"),
    ("non_smtpd_milters empty", {"non_smtpd_milters": ""}, None,
     "postfix.non_smtpd_milters", "warning", "non_smtpd_milters"),
    ("milter_default_action accept", {"milter_default_action": "accept"}, None,
     "postfix.milter_default_action", "warning", "milter_default_action"),
    ("per-milter default_action accept", {"smtpd_milters": "{ inet:127.0.0.1:8891, default_action=accept }"}, None,
     "postfix.milter_default_action", "warning", "inet:127.0.0.1:8891 default_action"),
    ("milter_protocol 2", {"milter_protocol": "2"}, None, "postfix.milter_protocol", "warning", "milter_protocol"),
    ("policy service before reject_unauth_destination, no relay check first",
     {"smtpd_relay_restrictions": NO_RELAY_CHECK, "smtpd_recipient_restrictions":
      "permit_mynetworks, check_policy_service inet:127.0.0.1:10023, reject_unauth_destination"}, None,
     "postfix.policy_order", "error", "smtpd_recipient_restrictions"),
    ("no policy service", {"smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination"}, None,
     "postfix.policy_service", "warning", "smtpd_recipient_restrictions"),
    ("submission overrides smtpd_milters without ours", {},
     ["submission inet n - y - - smtpd -o smtpd_milters=$mua_milters"],
     "postfix.service_milters", "error", "submission/inet -o smtpd_milters"),
    ("smtps overrides smtpd_milters with another milter", {},
     ["127.0.0.1:465 inet n - y - - smtpd -o smtpd_milters=inet:127.0.0.1:9999"],
     "postfix.service_milters", "error", "127.0.0.1:465/inet -o smtpd_milters"),
    ("a virtual domain without a key", {"virtual_mailbox_domains": "other.example"}, None,
     "postfix.signing_key", "warning", "other.example"),
    ("mydestination domain without a key", {"mydestination": "mail.example.net, localhost"}, None,
     "postfix.signing_key", "warning", "mail.example.net"),
    ("no TLS", {"smtp_tls_security_level": "none"}, None, "postfix.smtp_tls", "error", "smtp_tls_security_level"),
    ("TLS level unset", {"smtp_tls_security_level": ""}, None, "postfix.smtp_tls", "error", "smtp_tls_security_level"),
]


def write_config(directory, main, master_extra, chroot=None):
    """main.cf from main; Debian's master.cf plus master_extra, with the chroot
    column (5th) of its smtp/inet and cleanup services set to chroot if given."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "main.cf"), "w") as f:
        for name, value in main.items():
            f.write("%s = %s\n" % (name, value))
    with open("/etc/postfix/master.cf") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        fields = line.split()
        if chroot and len(fields) >= 8 and (fields[:2] == ["smtp", "inet"] or fields[:2] == ["cleanup", "unix"]):
            fields[4] = chroot
            lines[i] = " ".join(fields)
    with open(os.path.join(directory, "master.cf"), "w") as f:
        for line in lines + list(master_extra):
            f.write(line + "\n")


def check(work, config, main, master_extra, name, chroot=None):
    directory = os.path.join(work, name)
    write_config(directory, main, master_extra, chroot)
    p = subprocess.run([DOMAINAUTH, "check", "--postfix", "--postfix-config", directory, "--config", config, "--json"],
                       capture_output=True, text=True, timeout=60)
    try:
        return p.returncode, json.loads(p.stdout)["findings"]
    except (ValueError, KeyError):
        print(p.stdout, p.stderr)
        return p.returncode, []


def wait_for(port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def find(findings, id_, subject=None):
    return [f for f in findings if f["id"] == id_ and (subject is None or f["subject"] == subject)]


def test_domain_with_both_families(work, config):
    """check --postfix DOMAIN: Postfix sends over IPv4 and IPv6 from its bind addresses,
    and both are checked (SPF and PTR) though only the IPv4 one is published; the
    domain has signing keys (init) but no published DKIM records."""
    records = [("example.com", "TXT", "v=spf1 ip4:192.0.2.10 -all"), ("example.com", "MX", "10 mail.example.com"),
               ("mail.example.com", "A", "192.0.2.10"), ("mail.example.com", "AAAA", "2001:db8::10"),
               ("10.2.0.192.in-addr.arpa", "PTR", "mail.example.com")]
    main_cf = dict(GOOD_MAIN, inet_protocols="all", smtp_bind_address6="2001:db8::10",
                   smtp_helo_name="mail.example.com")
    directory = os.path.join(work, "both-families")
    write_config(directory, main_cf, GOOD_MASTER)
    with DnsServer(records, port=5356, extra_addresses=()) as dns:
        p = subprocess.run([DOMAINAUTH, "check", "example.com", "--postfix", "--postfix-config", directory,
                            "--config", config, "--dns", dns.spec, "--json"], capture_output=True, text=True,
                           timeout=120)
    report = json.loads(p.stdout)
    findings = report["findings"]
    expect(report["ip"] == "192.0.2.10, 2001:db8::10", "both bind addresses are checked: %s" % report["ip"])
    for id_, subject, severity in [("spf.authorizes_ip", "192.0.2.10", "ok"),
                                   ("spf.authorizes_ip", "2001:db8::10", "error"),
                                   ("ptr.fcrdns", "192.0.2.10", "ok"), ("ptr.present", "2001:db8::10", "error"),
                                   ("requirements.ptr", "2001:db8::10", "error")]:
        got = [f["severity"] for f in find(findings, id_, subject)]
        expect(got == [severity], "both families: %s [%s] is %s, got %s" % (id_, subject, severity, got))
    expect(p.returncode == 3, "both families: exit 3 for the IPv6 errors, got %d" % p.returncode)
    # init made keys for example.com, but their records are not published in this zone.
    unpublished = [f for f in find(findings, "dkim.present") if f["severity"] == "error"]
    expect(len(unpublished) == 2 and find(findings, "postfix.signing_key")[0]["severity"] == "ok",
           "a domain with signing keys but no published records is reported: %s" % unpublished)


def test_unpublished_keys(work, config):
    """A domain Postfix takes mail for, with keys in the configuration but no records."""
    other = os.path.join(work, "other")
    subprocess.run([DOMAINAUTH, "init", "--domain", "other.example", "--ip", "192.0.2.10", "--admin",
                    "postmaster@other.example", "--out", other], check=True, capture_output=True)
    with open(config) as ours, open(os.path.join(other, "domainauth.toml")) as theirs:
        keys = [line for line in theirs.read().split("\n\n") if line.startswith("[[sign.key]]")]
        merged = ours.read() + "\n" + "\n\n".join(keys) + "\n"
    both = os.path.join(work, "both.toml")
    with open(both, "w") as f:
        f.write(merged)
    code, findings = check(work, both, dict(GOOD_MAIN, virtual_mailbox_domains="other.example"), GOOD_MASTER,
                           "unpublished")
    got = find(findings, "postfix.published_keys", "other.example")
    expect([f["severity"] for f in got] == ["error"] and got[0]["fix"] and "no key record" in got[0]["message"],
           "a Postfix domain whose keys are not published: postfix.published_keys error, got %s" % got)
    expect([f["severity"] for f in find(findings, "postfix.published_keys", "example.com")] == ["ok"],
           "the published domain stays ok beside it")
    expect(code == 3, "unpublished keys: exit 3, got %d" % code)


def test_domain_tables(work, config):
    """Domains in lookup tables: a postmap'd hash, btree and lmdb table, a texthash file, an
    inline: table and a /file list are listed and each domain judged; a mysql: table
    cannot be listed (info naming it), a hash table never postmap'd and a FIFO cannot be
    read (the FIFO is refused, not waited on)."""
    tables = os.path.join(work, "tables")
    os.makedirs(tables, exist_ok=True)
    write_config(tables, GOOD_MAIN, GOOD_MASTER)
    files = {"vdomains": "# virtual mailbox domains\nexample.com OK\nhashed.example OK\n",
             "relays": "btree.example OK\n",
             "lmdb-domains": "lmdb.example OK\n",
             "texthash": "# comment\ntext.example   x\n\tcontinued.example\n\n  # indented comment\ntext2.example y\n",
             "list": "# the usual\nlisted.example, localhost\n",
             "never-mapped": "unmapped.example OK\n"}
    for name, text in files.items():
        with open(os.path.join(tables, name), "w") as f:
            f.write(text)
    if not os.path.exists(os.path.join(tables, "fifo")):
        os.mkfifo(os.path.join(tables, "fifo"))
    for table in ("hash:%s/vdomains" % tables, "btree:%s/relays" % tables, "lmdb:%s/lmdb-domains" % tables):
        subprocess.run(["postmap", "-c", tables, table], check=True)
    main_cf = dict(GOOD_MAIN,
                   virtual_mailbox_domains="hash:%s/vdomains, texthash:%s/texthash, lmdb:%s/lmdb-domains"
                   % (tables, tables, tables),
                   virtual_alias_domains="inline:{ inline.example, inline2.example = x }, mysql:/etc/postfix/my.cf",
                   relay_domains="proxy:btree:%s/relays hash:%s/never-mapped texthash:%s/fifo"
                   % (tables, tables, tables),
                   mydomain="expanded.example", mydestination="$mydomain, %s/list" % tables)
    code, findings = check(work, config, main_cf, GOOD_MASTER, "tables")
    missing = sorted(f["subject"] for f in find(findings, "postfix.signing_key") if f["severity"] == "warning")
    expect(missing == ["btree.example", "expanded.example", "hashed.example", "inline.example", "inline2.example",
                       "listed.example", "lmdb.example", "text.example", "text2.example"],
           "each domain of the hash, btree, lmdb, texthash, inline and /file tables, and $mydomain, is judged: %s"
           % missing)
    expect([f["severity"] for f in find(findings, "postfix.published_keys", "example.com")] == ["ok"],
           "example.com, listed only in the hash table, has its published keys checked")
    mysql = find(findings, "postfix.signing_key_table", "mysql:/etc/postfix/my.cf")
    expect([f["severity"] for f in mysql] == ["info"] and mysql[0]["fix"] and "could not be checked" in
           mysql[0]["message"], "a mysql: table is named as not listable: %s" % mysql)
    unread = find(findings, "postfix.table_unreadable", "hash:%s/never-mapped" % tables)
    expect([f["severity"] for f in unread] == ["warning"] and unread[0]["fix"],
           "a hash table without its .db file is a specific finding: %s" % unread)
    fifo = find(findings, "postfix.table_unreadable", "texthash:%s/fifo" % tables)
    expect([f["severity"] for f in fifo] == ["warning"] and "not a regular file" in fifo[0]["message"],
           "a FIFO named as a table is refused at once: %s" % fifo)


def test_chroot(work):
    """Milter unix: sockets per master.cf chroot column, with the seed setup's
    smtpd_milters line (absolute paths, FreeBSD's unchrooted smtpd) and domainauth
    listening where OpenDKIM did."""
    config = os.path.join(work, "unix.toml")
    with open(os.path.join(work, "domainauth.toml")) as f:
        text = f.read().replace('listen = ["inet:127.0.0.1:8891"]', 'listen = ["unix:/var/run/milteropendkim/socket"]')
    with open(config, "w") as f:
        f.write(text)
    seed = "unix:/var/run/milteropendkim/socket, unix:/var/run/opendmarc/socket"
    main_cf = dict(GOOD_MAIN, smtpd_milters=seed, non_smtpd_milters="unix:/var/run/milteropendkim/socket")
    # Debian's master.cf: smtp and cleanup run chrooted in /var/spool/postfix.
    code, findings = check(work, config, main_cf, [], "chroot-y")
    for service in ("smtp/inet", "cleanup/unix"):
        got = find(findings, "postfix.milter_chroot", service)
        expect([f["severity"] for f in got] == ["error"] and
               "/var/spool/postfix/var/run/milteropendkim/socket" in got[0]["message"] and got[0]["fix"],
               "chrooted %s reaches the socket inside the queue directory: %s" % (service, got))
    expect(code == 3, "a chrooted smtpd missing the socket: exit 3, got %d" % code)
    # As the seed runs it: smtpd and cleanup not chrooted, the paths are what they say.
    code, findings = check(work, config, main_cf, [], "chroot-n", chroot="n")
    expect(find(findings, "postfix.milter_chroot") == [], "no chroot finding without chroot: %s"
           % find(findings, "postfix.milter_chroot"))
    expect([f["severity"] for f in find(findings, "postfix.smtpd_milters")] == ["ok"],
           "the seed's smtpd_milters names domainauth's socket when smtpd is not chrooted")
    # "-" is Postfix 3.x's compiled-in default: not chrooted.
    code, findings = check(work, config, main_cf, [], "chroot-default", chroot="-")
    expect(find(findings, "postfix.milter_chroot") == [], "chroot column - means n on Postfix 3")
    # A submission service chrooted, overriding smtpd_milters with the absolute path.
    code, findings = check(work, config, main_cf, ["submission inet n - y - - smtpd -o smtpd_milters=" +
                                                   "unix:/var/run/milteropendkim/socket"], "chroot-submission",
                           chroot="n")
    got = find(findings, "postfix.milter_chroot", "submission/inet")
    expect([f["severity"] for f in got] == ["error"], "a chrooted submission service with an absolute path: %s" % got)


def main():
    work = tempfile.mkdtemp(prefix="check-postfix-")
    subprocess.run([DOMAINAUTH, "init", "--domain", "example.com", "--ip", "192.0.2.10", "--admin",
                    "postmaster@example.com", "--out", work], check=True, capture_output=True)
    config = os.path.join(work, "domainauth.toml")
    # init's records, published: check --postfix finds the keys of example.com (a
    # virtual_alias_domains entry) in DNS (postfix.published_keys).
    with DnsServer(zone_records(os.path.join(work, "records.zone"))):
        status = check_configurations(work, config)
    shutil.rmtree(work, ignore_errors=True)
    return status


def check_configurations(work, config):
    # Nothing listens yet: the milter and the policy service are unreachable.
    code, findings = check(work, config, GOOD_MAIN, GOOD_MASTER, "down")
    expect(code == 3, "exit status 3 while domainauth is down: %s" % code)
    expect([f["severity"] for f in find(findings, "postfix.milter_reachable")] == ["error"],
           "postfix.milter_reachable is an error while nothing listens: %s" % find(findings, "postfix.milter_reachable"))
    expect([f["severity"] for f in find(findings, "postfix.policy_reachable")] == ["error"],
           "postfix.policy_reachable is an error while nothing listens")

    log = open(os.path.join(work, "serve.log"), "w")
    serve = subprocess.Popen([DOMAINAUTH, "serve", "--config", config], stderr=log)
    try:
        expect(wait_for(8891) and wait_for(10023), "domainauth serve listens on 8891 and 10023")
        code, findings = check(work, config, GOOD_MAIN, GOOD_MASTER, "good")
        bad = [f for f in findings if f["severity"] in ("error", "warning")]
        expect(code == 0 and not bad, "the README's wiring gives no error or warning: %s %s" % (code, bad))
        for f in findings:
            expect(f["id"].startswith("postfix.") and f["severity"] in ("ok", "info", "warning", "error")
                   and "fix" in f and "subject" in f, "finding has id, severity, fix, subject: %s" % f)
        expect([f["severity"] for f in find(findings, "postfix.milter_reachable")] == ["ok"],
               "postfix.milter_reachable is ok with serve running")
        expect([f["severity"] for f in find(findings, "postfix.published_keys", "example.com")] == ["ok"],
               "postfix.published_keys: example.com's keys are published")
        outbound = find(findings, "postfix.outbound_address")
        expect(outbound and "192.0.2.10" in outbound[0]["message"], "the outgoing address is reported: %s" % outbound)

        for what, changes, master, id_, severity, subject in BROKEN:
            main_cf = dict(GOOD_MAIN, **changes)
            code, findings = check(work, config, main_cf, GOOD_MASTER if master is None else master,
                                   id_.replace(".", "-") + str(BROKEN.index((what, changes, master, id_, severity,
                                                                             subject))))
            got = find(findings, id_, subject)
            expect(any(f["severity"] == severity and f["fix"] for f in got),
                   "%s: %s %s [%s] with a fix, got %s" % (what, severity, id_, subject, got))
            expect(code == (3 if severity == "error" else 0), "%s: exit status %s" % (what, code))

        # The policy service spawned by master(8), as README's master.cf line does.
        main_cf = dict(GOOD_MAIN, smtpd_recipient_restrictions=
                       "permit_mynetworks, reject_unauth_destination, check_policy_service unix:private/policy")
        code, findings = check(work, config, main_cf, GOOD_MASTER + [SPAWN], "spawn")
        expect([f["severity"] for f in find(findings, "postfix.policy_service")] == ["ok"],
               "a spawned domainauth policy counts as the policy service")
        expect([f["severity"] for f in find(findings, "postfix.policy_reachable")] == ["ok"],
               "a spawned domainauth policy needs no listener")
        test_domain_with_both_families(work, config)
        test_unpublished_keys(work, config)
        test_domain_tables(work, config)
        test_chroot(work)
    finally:
        serve.terminate()
        serve.wait(timeout=10)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
