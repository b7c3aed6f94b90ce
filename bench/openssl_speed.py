#!/usr/bin/python3
"""Parses `openssl speed -mr` output (stdin) into JSON (stdout):
{"rsa2048": {"sign_per_s", "verify_per_s"}, "ed25519": {...},
 "sha256": {"<block>": bytes_per_s, ...}}. Reads only the tool's own output."""
import json
import sys


def parse(text):
    out = {}
    blocks = []
    for line in text.splitlines():
        f = line.strip().split(":")
        if f[0] == "+H":
            blocks = f[1:]
        elif f[0] == "+F" and len(f) >= 3 and f[2] == "sha256":
            out["sha256"] = {b: float(v) for b, v in zip(blocks, f[3:])}
        elif f[0] == "+F2" and len(f) == 5:  # +F2:index:bits:sign/s:verify/s
            out["rsa" + f[2]] = {"sign_per_s": float(f[3]), "verify_per_s": float(f[4])}
        elif f[0] == "+F6" and len(f) == 6:  # +F6:index:bits:name:sign/s:verify/s
            out[f[3].lower()] = {"sign_per_s": float(f[4]), "verify_per_s": float(f[5])}
    return out


if __name__ == "__main__":
    json.dump(parse(sys.stdin.read()), sys.stdout, indent=1)
