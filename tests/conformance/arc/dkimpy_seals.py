"""The ARC signing suite's departure, judged by a third implementation: Debian's
dkimpy (python3-dkim) arc_verify. Runs test_arc_conformance's signing test with
DOMAINAUTH_ARC_SEALED_OUT, then asks dkimpy about every message it wrote:
  ID.ours.eml    our sealer's set on the suite's message: cv=pass;
  ID.theirs.eml  the suite's expected set: its ARC-Seal b= does not verify, so
                 dkimpy must say fail, as our validator does.
The two tests that seal a failed chain (cv=fail) confirm nothing about seals:
dkimpy stops at a cv=fail seal without checking any ("the chain is
terminated"), so both messages must get that answer and no more.
Usage: dkimpy_seals.py TEST_BINARY SUITE_YAML
"""

import os
import subprocess
import sys
import tempfile

import dkim
import yaml


def dns_records(suite_path):
    records = {}
    for scenario in yaml.safe_load_all(open(suite_path)):
        for name, value in (scenario.get("txt-records") or {}).items():
            records[name.encode()] = value.replace("\n", "").encode()
    return records


def main():
    binary, suite_path = sys.argv[1], sys.argv[2]
    records = dns_records(suite_path)
    expected = {}
    for scenario in yaml.safe_load_all(open(suite_path)):
        for test_id, test in scenario["tests"].items():
            if test["AS"].strip():
                # The chain the suite seals: cv=fail in its expected AS stays fail.
                expected[test_id] = "fail" if "cv=fail" in test["AS"].replace(" ", "") else "pass"
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, DOMAINAUTH_ARC_SEALED_OUT=folder)
        subprocess.run([binary, "--gtest_filter=ArcSigningSuite.*"], env=env, check=True, capture_output=True)
        failures = []
        for test_id, sealed_as in sorted(expected.items()):
            verdicts = (("ours", "pass"), ("theirs", "fail")) if sealed_as == "pass" else \
                (("ours", "terminated"), ("theirs", "terminated"))
            for side, verdict in verdicts:
                with open(os.path.join(folder, "%s.%s.eml" % (test_id, side)), "rb") as f:
                    message = f.read()
                cv, _, comment = dkim.arc_verify(message, dnsfunc=lambda name, timeout=5: records.get(name.rstrip(b".")))
                got = cv.decode() if isinstance(cv, bytes) else str(cv)
                if cv is None and "the chain is terminated" in comment:
                    got = "terminated"
                if got != verdict:
                    failures.append("%s %s: dkimpy says %s (%s), want %s" % (test_id, side, got, comment, verdict))
    for line in failures:
        print(line)
    print("dkimpy arc_verify on the ARC signing suite: %d messages, %d disagree"
          % (2 * len(expected), len(failures)))
    passing = sum(1 for v in expected.values() if v == "pass")
    print("%d cv=pass chains: dkimpy passes our seal and fails the suite's; %d cv=fail chains: terminated"
          % (passing, len(expected) - passing))
    sys.exit(1 if failures or (passing, len(expected)) != (14, 16) else 0)


if __name__ == "__main__":
    main()
