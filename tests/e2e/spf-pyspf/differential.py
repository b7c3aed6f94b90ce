#!/usr/bin/python3
"""Differential test: domainauth's SPF results against pyspf (python3-spf).

Both resolve the same generated corpus (cases.py: ~290 SPF records, ~570 checks)
served by a real unbound on loopback: domainauth through `domainauth spf --dns`,
pyspf through the namespace's /etc/resolv.conf (127.0.0.53). Every check must agree,
except the few listed in PYSPF_DEVIATIONS, where pyspf is wrong per RFC 7208 (each
with its reason; the test also fails if such a case stops differing, so the list
stays true). Prints `N passed, N failed`.

Run inside tests/e2e/lib/netns-run (ctest does that); needs $DOMAINAUTH.
"""

import json
import os
import subprocess
import sys

import spf  # pyspf

import cases
from dnsserver import DnsServer

# (domain label, client ip) -> why pyspf's answer is not RFC 7208's.
PYSPF_DEVIATIONS = {
}


def pyspf_result(case):
    result, _ = spf.check2(i=case["ip"], s=case["sender"], h=case["helo"], querytime=0, timeout=5)
    return result


def domainauth_results(binary, dns_spec, batch):
    out = {}
    for case in batch:
        proc = subprocess.run(
            [binary, "spf", "--ip", case["ip"], "--sender", case["sender"], "--helo", case["helo"],
             "--dns", dns_spec, "--json"],
            capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise SystemExit(f"domainauth spf exited {proc.returncode} for {case}: {proc.stderr}")
        out[id(case)] = json.loads(proc.stdout)
    return out


def main():
    binary = os.environ["DOMAINAUTH"]
    corpus = cases.build()
    passed = failed = 0
    deviations_seen = set()
    with DnsServer(corpus.records) as dns:
        ours = domainauth_results(binary, dns.spec, corpus.cases)
        for case in corpus.cases:
            theirs = pyspf_result(case)
            mine = ours[id(case)]
            label = case["domain"].split(".")[0]
            key = (label, case["ip"])
            same = mine["result"] == theirs
            if key in PYSPF_DEVIATIONS:
                deviations_seen.add(key)
                if same:
                    failed += 1
                    print(f"FAIL listed deviation no longer differs: {key}: both {theirs}")
                else:
                    passed += 1
                    print(f"note {key}: pyspf {theirs}, domainauth {mine['result']}: {PYSPF_DEVIATIONS[key]}")
                continue
            if same:
                passed += 1
            else:
                failed += 1
                record = [r[2] for r in corpus.records if r[0] == case["domain"] and r[1] == "TXT"]
                print(f"FAIL {case['domain']} ip={case['ip']} sender={case['sender']}: "
                      f"pyspf={theirs} domainauth={mine['result']} ({mine.get('reason', '')}) record={record}")
    missing = set(PYSPF_DEVIATIONS) - deviations_seen
    for key in sorted(missing):
        failed += 1
        print(f"FAIL listed deviation not in the corpus: {key}")
    spf_records = sum(1 for name, rtype, value in corpus.records if rtype == "TXT" and value.startswith("v=spf1"))
    print(f"corpus: {spf_records} SPF records, {len(corpus.cases)} checks, {len(PYSPF_DEVIATIONS)} known pyspf deviations")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
