#!/usr/bin/python3
"""Differential test: domainauth's SPF results against pyspf (python3-spf).

Both resolve the same generated corpus (cases.py: ~290 SPF records, ~600 checks
from IPv4, IPv6 and IPv4-mapped clients) served by a real unbound on loopback:
domainauth through `domainauth spf --dns`, pyspf through the namespace's
/etc/resolv.conf (127.0.0.53). Results must agree, and for fail results so must the
explanation text.

One known pyspf deviation is recognised by rerunning pyspf with that one rule
changed, never by a list of cases: pyspf counts every MX exchange whose A/AAAA
lookup comes back empty as a separate "void lookup", so an IPv6 client checked
against an `mx` whose hosts have no AAAA soon exceeds the limit of two and gets
permerror. RFC 7208 4.6.4 limits the number of *terms* whose DNS queries return
nothing; the mx term's own MX query did return records. A disagreement counts as
this deviation only when pyspf with per-term counting gives exactly our result.

Every result value must occur in the corpus, so agreement cannot come from DNS
being down. Prints `N passed, N failed`. Run inside tests/e2e/lib/netns-run (ctest
does); needs $DOMAINAUTH.
"""

import contextlib
import json
import os
import subprocess
import sys

import spf  # pyspf

import cases
from dnsserver import DnsServer

PYSPF_DEFAULT_EXPLANATION = "SPF fail - not authorized"
ALL_RESULTS = {"pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"}


def pyspf_check(case):
    q = spf.query(i=case["ip"], s=case["sender"], h=case["helo"], querytime=0, timeout=5)
    result, _, explanation = q.check()
    return result, explanation


def same_explanation(case, ours, theirs):
    """Explanations of a fail agree. pyspf's own default text stands where the record
    has no exp= (a local choice, RFC 7208 6.2); pyspf writes %{i}'s IPv6 nibbles in
    upper case, where RFC 7208 7.4's example shows lower case."""
    if theirs == PYSPF_DEFAULT_EXPLANATION:
        return True
    if ":" in case["ip"]:
        return ours.lower() == theirs.lower()
    return ours == theirs


def _dns_mx_per_term(self, domainname):
    """pyspf's dns_mx, with the exchanges' address lookups not counted as void."""
    mxnames = self.dns(domainname, "MX")
    if len(mxnames) > spf.MAX_MX:
        raise spf.PermError("More than %d MX records returned" % spf.MAX_MX)
    mxnames.sort()
    return [a for mx in mxnames for a in self.dns(mx[1], self.A, ignore_void=True)]


@contextlib.contextmanager
def per_term_void_counting():
    original = spf.query.dns_mx
    spf.query.dns_mx = _dns_mx_per_term
    try:
        yield
    finally:
        spf.query.dns_mx = original


def domainauth_check(binary, dns_spec, case):
    proc = subprocess.run(
        [binary, "spf", "--ip", case["ip"], "--sender", case["sender"], "--helo", case["helo"],
         "--dns", dns_spec, "--json"],
        capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise SystemExit(f"domainauth spf exited {proc.returncode} for {case}: {proc.stderr}")
    return json.loads(proc.stdout)


def main():
    binary = os.environ["DOMAINAUTH"]
    corpus = cases.build()
    passed = failed = deviations = 0
    seen = set()
    with DnsServer(corpus.records, servfail_names=[cases.BROKEN]) as dns:
        for case in corpus.cases:
            ours = domainauth_check(binary, dns.spec, case)
            theirs, their_explanation = pyspf_check(case)
            seen.add(ours["result"])
            same = ours["result"] == theirs
            if same and theirs == "fail" and not same_explanation(case, ours["explanation"], their_explanation):
                same = False
            if same:
                passed += 1
                continue
            if theirs == "permerror":
                with per_term_void_counting():
                    corrected, _ = pyspf_check(case)
                if corrected == ours["result"]:
                    passed += 1
                    deviations += 1
                    continue
            failed += 1
            records = [r[2] for r in corpus.records if r[0] == case["domain"] and r[1] == "TXT"]
            print(f"FAIL {case['domain']} ip={case['ip']} sender={case['sender']}: "
                  f"pyspf={theirs} ({their_explanation!r}) domainauth={ours['result']} "
                  f"({ours.get('reason', '')}; {ours.get('explanation', '')!r}) records={records}")
    missing = ALL_RESULTS - seen
    if missing:
        failed += 1
        print(f"FAIL results never produced by the corpus: {sorted(missing)}")
    spf_records = sum(1 for _, rtype, value in corpus.records if rtype == "TXT" and value.startswith("v=spf1"))
    print(f"corpus: {spf_records} SPF records, {len(corpus.cases)} checks, results seen: {sorted(seen)}")
    print(f"pyspf deviations (per-exchange void counting, RFC 7208 4.6.4): {deviations}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
