"""Counting checks for end-to-end scripts that run many cases in one process:
expect(condition, what) records a pass or prints the failure; finish() prints
"N passed, N failed" and returns the exit status (1 on any failure).
"""

RESULTS = {"passed": 0, "failed": 0}


def expect(condition, what):
    RESULTS["passed" if condition else "failed"] += 1
    if not condition:
        print("FAIL:", what)
    return condition


def finish():
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0
