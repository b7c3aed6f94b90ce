#!/usr/bin/python3
"""Merges the raw figures of one benchmark run (scripts/bench.sh) into
bench/results/latest.json and writes bench/results/latest.md: tables with the
ratios to the peers measured in the same run, and the machine.

Usage: report.py OUT_DIR RESULTS_DIR
OUT_DIR holds what this run measured: machine.json, openssl.N.K.json and
inprocess.N.K.json (Google Benchmark JSON) for rounds N = 1, 2, ... and groups K
(an openssl speed run and our benchmarks compared with it), interleaved.json (the
signing and hashing benchmarks repeated, interleaved in one process),
policy.json, postfix.json (any may be missing: parts not run keep their figures
from the previous latest.json, marked with their date)."""
import glob
import json
import os
import sys

PARTS = ("inprocess", "policy", "postfix")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def gbench_rows(raw):
    """name -> figures of a Google Benchmark run (the median when repeated)."""
    rows = {}
    for b in raw.get("benchmarks", []):
        if b.get("error_occurred"):
            rows[b["run_name"]] = {"error": b.get("error_message", "error")}
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        if name in rows and b.get("run_type") != "aggregate":
            continue
        rows[name] = b
    return rows


def fmt(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def ratio(ours, peer):
    if not ours or not peer:
        return None
    return ours / peer


def pct(r):
    return "—" if r is None else f"{100 * r:.0f}%"


def per_1000(cpu, count):
    return 1000 * cpu / count if cpu is not None and count else None


def verdict(r, target):
    if r is None:
        return "not measured"
    return "met" if r >= target else "missed"


def paired_cells(paired, target, label, summary):
    """A ratio column (the median of paired ratios, with their range) and a
    target column; a target also goes into the summary under `label`."""
    r = median(paired)
    shown = pct(r) + (f" ({pct(min(paired))}-{pct(max(paired))})" if len(paired) > 1 else "")
    if target is None:
        return shown, ""
    summary.append((label, r, target))
    return shown, f">= {pct(target)}: {verdict(r, target)}"


def median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def inprocess_md(part):
    """Each round is openssl speed followed by our benchmarks: a figure is the
    median over the rounds, a ratio the median of the rounds' own ratios."""
    rounds = [(r["openssl"], gbench_rows(r["gbench"])) for r in part["rounds"]]
    lines = ["## In-process (Google Benchmark vs `openssl speed`, same run)", "",
             f"CPU time per operation; openssl speed reports CPU (user) time too. {len(rounds)} rounds; in each, "
             "every `openssl speed` run is followed at once by our benchmarks compared with it: figures are medians "
             "over the rounds, a ratio is the median of the ratios within each round (rounds: lowest-highest).", "",
             "| what | domainauth | openssl speed | ratio | target |", "| --- | --- | --- | --- | --- |"]
    summary = []

    def ours(name, key):
        def get(rows):
            r = rows.get(name)
            if not r or "error" in r:
                return None
            return r.get(key) / 1e6 if key == "bytes_per_second" else r.get(key)
        return [get(rows) for _, rows in rounds]

    def peer(alg, key):
        return [openssl.get(alg, {}).get(key) for openssl, _ in rounds]

    def row(what, mine, theirs, unit, target=None):
        shown, verdict_s = paired_cells([m / t for m, t in zip(mine, theirs) if m and t], target, what, summary)
        lines.append(f"| {what} | {fmt(median(mine))} | {fmt(median(theirs))} {unit} | {shown} | {verdict_s} |")

    for alg in ("rsa2048", "ed25519"):
        signs = peer(alg, "sign_per_s")
        for size in ("4KB", "1MB"):
            row(f"DKIM sign {alg}, {size} message (msg/s)", ours(f"dkim_sign/{alg}/{size}", "items_per_second"),
                signs, "sign/s", 0.95 if (alg, size) == ("rsa2048", "4KB") else None)
        operation = ours(f"dkim_sign_operation/{alg}", "items_per_second")
        row("the signature operation alone (EVP_DigestSign, /s)", operation, signs, "sign/s")
        if alg == "rsa2048":
            row("openssl speed's operation run by us (EVP_PKEY_sign of 36 octets, our key, /s)",
                ours("openssl_speed_operation/rsa2048", "items_per_second"), signs, "sign/s")
        if alg == "rsa2048":  # RFC 6376 signing of 4 KB costs under 5% beyond the RSA operation
            row("DKIM sign rsa2048, 4KB message, vs our signature operation alone (msg/s)",
                ours("dkim_sign/rsa2048/4KB", "items_per_second"), operation, "sign/s (ours)", 0.95)
        for size in ("4KB", "1MB"):
            row(f"DKIM verify {alg}, {size} message, key from memory DNS (msg/s)",
                ours(f"dkim_verify/{alg}/{size}", "items_per_second"), peer(alg, "verify_per_s"), "verify/s")
    sha = [v / 1e6 if v else None for v in (o.get("sha256", {}).get("16384") for o, _ in rounds)]
    for name, label in (("simple", "simple, text body"), ("relaxed", "relaxed, text body"),
                        ("simple_base64", "simple, base64 body"), ("relaxed_base64", "relaxed, base64 body")):
        row(f"body canonicalization + SHA-256, {label}, 1 MB (MB/s)", ours(f"body_hash/{name}/1MB", "bytes_per_second"),
            sha, "MB/s (sha256, 16 KB blocks)", 0.70)
    row("raw SHA-256 in-process, 16 KB blocks (MB/s)", ours("body_hash/raw_sha256/1MB", "bytes_per_second"), sha, "MB/s")
    for name, label in (("pass_deep_include", "pass, matched in the last include"),
                        ("softfail_all_terms", "softfail, every term evaluated")):
        terms = median(ours(f"spf_check_host/{name}", "dns_terms")) or 0
        evals = median(ours(f"spf_check_host/{name}", "items_per_second"))
        lines.append(f"| SPF check_host() from memory, {label}, {int(terms)} DNS terms (evaluations/s) | {fmt(evals)} | | | |")
    if part.get("interleaved"):
        more, more_summary = interleaved_md(part["interleaved"])
        lines += [""] + more
        summary += more_summary
    return lines, summary


def interleaved_md(raw):
    """Google Benchmark's random interleaving: every repetition runs each
    benchmark once, in a random order; a ratio is the median of the ratios
    within each repetition."""
    reps = {}  # name -> repetition index -> figures
    for b in raw.get("benchmarks", []):
        if b.get("run_type") == "iteration" and not b.get("error_occurred"):
            reps.setdefault(b["run_name"], {})[b.get("repetition_index", 0)] = b
    count = max((len(r) for r in reps.values()), default=0)
    lines = ["### The signing and hashing targets, interleaved in one process", "",
             f"{count} repetitions of 0.05 s or more; in each, every benchmark below runs once, in a random order "
             "(Google Benchmark's random interleaving), so a figure and the one it is compared with are measured "
             "within a second of each other. Figures are medians; a ratio is the median of the ratios within each "
             "repetition (repetitions: lowest-highest).", "",
             "| what | domainauth | compared with | ratio | target |", "| --- | --- | --- | --- | --- |"]
    summary = []

    def row(what, name, other, other_label, key, unit, target=None):
        mine, theirs = reps.get(name, {}), reps.get(other, {})
        scale = 1e6 if key == "bytes_per_second" else 1
        paired = [mine[i][key] / theirs[i][key] for i in mine if i in theirs and theirs[i].get(key)]
        shown, verdict_s = paired_cells(paired, target, f"{what} vs {other_label} (interleaved)", summary)
        lines.append(f"| {what} | {fmt(median(m[key] / scale for m in mine.values()))} {unit} | "
                     f"{other_label}: {fmt(median(t[key] / scale for t in theirs.values()))} | {shown} | {verdict_s} |")

    row("DKIM sign rsa2048, 4KB message", "dkim_sign/rsa2048/4KB", "openssl_speed_operation/rsa2048",
        "openssl speed's operation run by us", "items_per_second", "msg/s", 0.95)
    row("DKIM sign rsa2048, 4KB message", "dkim_sign/rsa2048/4KB", "dkim_sign_operation/rsa2048",
        "our signature operation alone (EVP_DigestSign)", "items_per_second", "msg/s", 0.95)
    row("our signature operation alone (EVP_DigestSign)", "dkim_sign_operation/rsa2048",
        "openssl_speed_operation/rsa2048", "openssl speed's operation run by us", "items_per_second", "/s")
    for name, label in (("simple", "simple, text body"), ("relaxed", "relaxed, text body"),
                        ("simple_base64", "simple, base64 body"), ("relaxed_base64", "relaxed, base64 body")):
        row(f"body canonicalization + SHA-256, {label}, 1 MB", f"body_hash/{name}/1MB", "body_hash/raw_sha256/1MB",
            "raw SHA-256 in-process, 16 KB blocks", "bytes_per_second", "MB/s", 0.70)
    sessions = [(label, name, op) for label, name, op in (
        ("signing, Ed25519", "milter_session/sign_ed25519/4KB", "dkim_sign_operation/ed25519"),
        ("signing, RSA-2048", "milter_session/sign_rsa2048/4KB", "dkim_sign_operation/rsa2048"),
        ("inbound SPF + DKIM (RSA-2048) + DMARC, no history row", "milter_session/inbound/4KB", None))
        if name in reps]
    if sessions:
        lines += ["", "A whole milter session in memory (bench/milter_bench.cpp: Postfix's packets for one 4 KB "
                  "message, negotiation to QUIT, through the session's Conversation and the engine; no sockets, the "
                  "signature made inline), and what it costs beyond the signature operation alone, paired by "
                  "repetition:", "",
                  "| session | µs per session | signature operation µs | beyond the operation µs (lowest-highest) |",
                  "| --- | --- | --- | --- |"]
        for label, name, op in sessions:
            mine = reps[name]
            us = lambda b: 1e6 / b["items_per_second"]
            ops = reps.get(op, {}) if op else {}
            beyond = sorted(us(mine[i]) - us(ops[i]) for i in mine if i in ops)
            lines.append(f"| {label} | {fmt(median(us(m) for m in mine.values()), 1)} | "
                         f"{fmt(median(us(o) for o in ops.values()), 1) if ops else '—'} | "
                         + (f"{fmt(median(beyond), 1)} ({fmt(beyond[0], 1)}-{fmt(beyond[-1], 1)})" if beyond else "—")
                         + " |")
    return lines, summary


def policy_md(part):
    """Cold passes (each with both servers started afresh, ours then the peer's)
    give one ratio each: the cold ratio is their median. Older results have one
    pass and no pass numbers."""
    lines = ["## Policy service (same request stream, same unbound, same run)", "",
             part.get("description", ""), "",
             "| server | cache | pass | requests | concurrency | requests/s | p50 ms | p99 ms | errors | server CPU-s / 1000 req | client CPU-s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    summary = []
    by = {}
    for row in part["rows"]:
        by.setdefault((row["server"], row["cache"]), {})[row.get("pass", 1)] = row
        lines.append(f"| {row['server']} | {row['cache']} | {row.get('pass', 1)} | {row['requests']} | "
                     f"{row['concurrency']} | {fmt(row.get('requests_per_s'))} | {fmt(row.get('p50_ms'), 2)} | "
                     f"{fmt(row.get('p99_ms'), 2)} | {row.get('errors', 0)} | "
                     f"{fmt(per_1000(row.get('server_cpu_s'), row.get('answered')), 3)} | "
                     f"{fmt(row.get('client_cpu_s'), 2)} |")
    lines.append("")
    for cache in ("cold", "warm"):
        ours, peer = by.get(("domainauth", cache), {}), by.get(("policyd-spf-python", cache), {})
        ratios = [ratio(ours[n].get("requests_per_s"), peer[n].get("requests_per_s")) for n in ours if n in peer]
        r = median(ratios)
        if r is None:
            continue
        summary.append((f"policy service requests/s vs policyd-spf-python, {cache} cache", r, 20.0))
        spread = (f", passes {min(ratios):.1f}x-{max(ratios):.1f}x" if len(ratios) > 1 else "")
        lines.append(f"- {cache} cache: domainauth {pct(r)} of policyd-spf-python's requests/s "
                     f"({r:.1f}x{spread}; target >= 20x: {verdict(r, 20.0)})")
    return lines, summary


def postfix_md(part):
    lines = ["## Full stack through Postfix (smtp-source -> Postfix -> filters -> smtp-sink)", "",
             part.get("description", ""), "",
             "| setup | sessions | message | messages | msg/s | filter CPU-s / 1000 msg | filter peak RSS MB |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    summary = []
    for row in part["rows"]:
        if row.get("not_measured"):
            lines.append(f"| {row['setup']} | {row.get('sessions', '—')} | {row.get('size', '—')} | not measured: "
                         f"{row['not_measured']} | | | | |")
            continue
        lines.append(f"| {row['setup']} | {row['sessions']} | {row['size']} | {row['messages']} | "
                     f"{fmt(row.get('messages_per_s'), 1)} | {fmt(row.get('filter_cpu_s_per_1000'), 2)} | "
                     f"{fmt(row.get('filter_peak_rss_mb'), 1)} |")
    crypto_rows = [r for r in part["rows"] if "crypto_ms" in r]
    if crypto_rows:
        lines += ["", "### Filter CPU per message beyond the cryptography", "", part.get("crypto_description", ""), "",
                  "| setup | sessions | message | filter CPU ms / msg | crypto ms (openssl speed) | beyond the crypto ms "
                  "| the floor milter ms | goal |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for row in crypto_rows:
            lines.append(f"| {row['setup']} | {row['sessions']} | {row['size']} | "
                         f"{fmt(row['filter_cpu_ms_per_message'], 3)} | {fmt(row['crypto_ms'], 3)} | "
                         f"{fmt(row['non_crypto_ms'], 3)} | {fmt(row.get('floor_ms'), 3)} | {row.get('goal', '')} |")
    if part.get("latency"):
        lines += ["", "### Added latency at the client", "", part.get("latency_description", ""), "",
                  "| setup | clients | message | messages | p50 ms | p99 ms | added p50 ms | added p99 ms |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for row in part["latency"]:
            lines.append(f"| {row['setup']} | {row['sessions']} | {row['size']} | {row['messages']} | "
                         f"{fmt(row['p50_ms'], 2)} | {fmt(row['p99_ms'], 2)} | {fmt(row.get('added_p50_ms'), 2)} | "
                         f"{fmt(row.get('added_p99_ms'), 2)} |")
    for note in part.get("notes", []):
        lines += ["", f"- {note}"]
    for item in part.get("summary", []):
        summary.append((item["what"], item.get("ratio"), item["target"]))
    for mem in part.get("memory", []):
        lines += ["", f"- {mem}"]
    return lines, summary


def main():
    out_dir, results_dir = sys.argv[1], sys.argv[2]
    latest_path = os.path.join(results_dir, "latest.json")
    previous = load(latest_path) or {}
    machine = load(os.path.join(out_dir, "machine.json"))
    merged = {"machine": machine or previous.get("machine")}
    rounds = []
    while True:  # round N: openssl.N.K.json and inprocess.N.K.json, one pair per group K
        n = len(rounds) + 1
        parts = sorted(glob.glob(os.path.join(out_dir, f"inprocess.{n}.*.json")))
        if not parts:
            break
        openssl, benchmarks = {}, []
        for path in parts:
            benchmarks += load(path).get("benchmarks", [])
            openssl.update(load(path.replace("inprocess.", "openssl.")) or {})
        rounds.append({"openssl": openssl, "gbench": {"benchmarks": benchmarks}})
    if rounds:
        merged["inprocess"] = {"machine": machine, "rounds": rounds,
                               "interleaved": load(os.path.join(out_dir, "interleaved.json"))}
    for part in ("policy", "postfix"):
        data = load(os.path.join(out_dir, f"{part}.json"))
        if data:
            data["machine"] = machine
            merged[part] = data
    for part in PARTS:
        if part not in merged and part in previous:
            merged[part] = previous[part]
    os.makedirs(results_dir, exist_ok=True)
    with open(latest_path, "w") as f:
        json.dump(merged, f, indent=1)

    m = merged["machine"] or {}
    md = ["# Benchmark results", "", "Written by `scripts/bench.sh` (see README.md, Benchmarks). Every ratio compares "
          "figures measured in the same run on the same machine.", "",
          f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_mb')} MB, kernel {m.get('kernel')}, "
          f"{m.get('os')}; load average at start {m.get('loadavg_at_start')} (the machine is shared: other jobs "
          f"ran at the same time). Run: {m.get('date')}, commit {m.get('commit', 'unknown')}.", ""]
    summary = []
    for part, render in (("inprocess", inprocess_md), ("policy", policy_md), ("postfix", postfix_md)):
        if part not in merged:
            md += [f"## {part}", "", "not measured yet", ""]
            continue
        pm = merged[part].get("machine") or {}
        lines, s = render(merged[part])
        measured = f"{pm.get('date')}, commit {pm.get('commit', 'unknown')}"
        lines.insert(1, f"(measured {measured})" if pm.get("date") == m.get("date")
                     else f"(figures from an earlier run: {measured})")
        md += lines + [""]
        summary += [(what, r, bar, measured) for what, r, bar in s]
    md += ["## Targets", "", "| target | ratio | bar | verdict | measured |", "| --- | --- | --- | --- | --- |"]
    for what, r, bar, measured in summary:
        shown = "—" if r is None else (f"{r:.1f}x" if bar > 1 else pct(r))
        bar_s = f"{bar:g}x" if bar > 1 else pct(bar)
        md.append(f"| {what} | {shown} | {bar_s} | {verdict(r, bar)} | {measured} |")
    with open(os.path.join(results_dir, "latest.md"), "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
