"""Setups end to end through a private Postfix, DNS from unbound on loopback:
1. init: `domainauth init`, its records published, `domainauth serve` with init's
   domainauth.toml and Postfix with init's main.cf lines; mail from an internal host
   must leave signed with both keys, and both signatures must verify.
2. the seed setup (../shared/seed-setup): its OpenDKIM tables and opendkim.conf /
   opendmarc.conf migrated with `domainauth migrate` (paths mapped to the test's
   folders), served on the migrated unix socket; mail of example.com and example.jp from
   a TrustedHosts address leaves signed with the seed's selector for its domain, with the
   seed's simple/simple canonicalization, and verifies.
Run inside netns-run.
Set DOMAINAUTH_EXTRA_MAIN_CF="name=value;..." to add main.cf lines (diagnosis only).
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from dnsserver import DnsServer
from postfix import Postfix
from checks import RESULTS, expect, finish
from setup_e2e import DOMAINAUTH, IP, host_records, run, zone_records


def test_postfix_round_trip(config, records):
    """init's configuration and Postfix lines: mail from an internal host leaves signed
    with both keys, and both signatures verify against the published records."""
    main_cf = {}
    lines = open(os.path.join(os.path.dirname(config), "postfix-main.cf")).read()
    for m in re.finditer(r"^(\w+) =(.*(?:\n[ \t]+.*)*)", lines, re.M):
        main_cf[m.group(1)] = " ".join(m.group(2).split())
    for item in filter(None, os.environ.get("DOMAINAUTH_EXTRA_MAIN_CF", "").split(";")):
        name, _, value = item.partition("=")
        main_cf[name.strip()] = value.strip()
    with DnsServer(records + host_records(), port=5355, extra_addresses=()) as dns:
        log = open(config + ".serve.log", "w")
        serve = subprocess.Popen([DOMAINAUTH, "serve", "--config", config, "--dns", dns.spec], stderr=log)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", 8891), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            with Postfix(main_cf=main_cf) as mta:
                mta.send("alice@example.com", ["bob@example.org"],
                         "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: round trip\r\n"
                         "Message-ID: <rt@example.com>\r\n\r\nHello from init's setup.\r\n", source="127.0.0.1")
                message = mta.wait_for_message(lambda m: "round trip" in m.data)
            code, out, err = run("dkim", "verify", "--dns", dns.spec, "--json", stdin=message.data)
            signatures = json.loads(out)["signatures"] if code == 0 else []
            results = sorted((s["selector"], s["result"]) for s in signatures)
            expect(len(results) == 2 and all(r == "pass" for _, r in results),
                   "Postfix + domainauth sign with both of init's keys and both verify: %s" % results)
        finally:
            serve.terminate()
            serve.wait(30)
            log.close()
            if RESULTS["failed"]:
                print(open(config + ".serve.log").read())


SEED = os.path.join(os.environ["DOMAINAUTH_TESTSUITES"], "..", "seed-setup")
SEED_KEYS = {"example.com": "20230319", "example.jp": "20230320"}


def seed_folders(work):
    """The seed's tables under work/tables (KeyTable's /var/db/dkim mapped to work/keys)
    with keys made by `domainauth dkim keygen`; returns the DKIM records to publish."""
    tables, keys = os.path.join(work, "tables"), os.path.join(work, "keys")
    os.makedirs(tables)
    os.makedirs(keys, mode=0o700)
    for name in ("KeyTable", "SigningTable", "TrustedHosts"):
        text = open(os.path.join(SEED, name)).read().replace("/var/db/dkim", keys)
        open(os.path.join(tables, name), "w").write(text)
    records = []
    for domain, selector in SEED_KEYS.items():
        code, out, err = run("dkim", "keygen", "--domain", domain, "--selector", selector, "--out", keys)
        expect(code == 0, "keygen %s: %s" % (selector, err))
        strings = re.findall(r'"([^"]*)"', open(os.path.join(keys, selector + ".txt")).read())
        records.append(("%s._domainkey.%s" % (selector, domain), "TXT", " ".join('"%s"' % p for p in strings)))
    return records


def test_seed_migrated(work):
    """The seed setup migrated and served through Postfix."""
    records = seed_folders(work)
    config = os.path.join(work, "seed.toml")
    code, out, err = run("migrate", "--opendkim", os.path.join(SEED, "opendkim.conf"),
                         "--opendmarc", os.path.join(SEED, "opendmarc.conf"), "--out", config,
                         "--path-map", "/usr/local/etc/mail/opendkim=" + os.path.join(work, "tables"),
                         "--path-map", "/var/run=" + os.path.join(work, "run"))
    expect(code == 0, "migrate the seed: " + err)
    # FreeBSD's mailnull (the user, and the group Postfix belonged to so it could reach
    # the socket) does not exist on Debian: the edit an admin moving the setup to Debian
    # makes. Everything else is as migrate wrote it.
    text = open(config).read().replace('user = "mailnull"', 'user = "nobody"')
    text = text.replace('socket_group = "mailnull"', 'socket_group = "postfix"')
    open(config, "w").write(text)
    os.chmod(work, 0o755)  # Postfix (user postfix) must reach the socket below it
    os.makedirs(os.path.join(work, "run", "milteropendkim"))
    socket_path = os.path.join(work, "run", "milteropendkim", "socket")
    expect('listen = ["local:%s"]' % socket_path in text and 'canonicalization = "simple/simple"' in text,
           "migrate maps Socket and Canonicalization of the seed")
    with DnsServer(records, port=5356, extra_addresses=()) as dns:
        log = open(config + ".serve.log", "w")
        serve = subprocess.Popen([DOMAINAUTH, "serve", "--config", config, "--dns", dns.spec], stderr=log)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not os.path.exists(socket_path):
                time.sleep(0.05)
            expect(os.path.exists(socket_path), "serve listens on the migrated socket " + socket_path)
            with Postfix(smtpd_port=2535, sink_port=2536, main_cf={"smtpd_milters": "unix:" + socket_path,
                                  "non_smtpd_milters": "unix:" + socket_path,
                                  "milter_default_action": "tempfail"}) as mta:
                for domain, selector in SEED_KEYS.items():
                    subject = "seed " + domain
                    mta.send("alice@" + domain, ["bob@example.org"],
                             "From: Alice <alice@%s>\r\nTo: bob@example.org\r\nSubject: %s\r\n"
                             "Message-ID: <seed@%s>\r\n\r\nHello from the seed setup.\r\n" % (domain, subject, domain),
                             source="127.0.0.1")
                    message = mta.wait_for_message(lambda m, s=subject: s in m.data)
                    code, out, err = run("dkim", "verify", "--dns", dns.spec, "--json", stdin=message.data)
                    signatures = json.loads(out)["signatures"] if code == 0 else []
                    got = [(s["domain"], s["selector"], s["result"]) for s in signatures]
                    expect(got == [(domain, selector, "pass")],
                           "seed mail of %s signed with selector %s and verifies: %s" % (domain, selector, got))
                    expect("c=simple/simple" in message.data.replace("\r\n\t", " ").replace(" ", ""),
                           "seed mail of %s signed with c=simple/simple" % domain)
        finally:
            serve.terminate()
            serve.wait(30)
            log.close()
            if RESULTS["failed"]:
                print(open(config + ".serve.log").read())


def main():
    work = tempfile.mkdtemp(prefix="domainauth-setup-postfix-")
    code, out, err = run("init", "--domain", "example.com", "--domain", "example.jp", "--ip", IP, "--out", work)
    expect(code == 0, "init: " + err)
    config = os.path.join(work, "domainauth.toml")
    test_postfix_round_trip(config, zone_records(os.path.join(work, "records.zone")))
    test_seed_migrated(tempfile.mkdtemp(prefix="domainauth-seed-"))
    sys.exit(finish())


if __name__ == "__main__":
    main()
