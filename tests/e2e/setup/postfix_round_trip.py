"""init's configuration and Postfix lines end to end: `domainauth init`, its records
served by unbound on loopback, `domainauth serve` with init's domainauth.toml, a private
Postfix with init's main.cf lines; mail from an internal host must leave signed with
both keys, and both signatures must verify. Run inside netns-run.
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
from setup_e2e import DOMAINAUTH, IP, RESULTS, expect, host_records, run, zone_records


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


def main():
    work = tempfile.mkdtemp(prefix="domainauth-setup-postfix-")
    code, out, err = run("init", "--domain", "example.com", "--domain", "example.jp", "--ip", IP, "--out", work)
    expect(code == 0, "init: " + err)
    config = os.path.join(work, "domainauth.toml")
    test_postfix_round_trip(config, zone_records(os.path.join(work, "records.zone")))
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    sys.exit(1 if RESULTS["failed"] else 0)


if __name__ == "__main__":
    main()
