"""Where a domainauth milter's CPU goes per message behind Postfix (issue 20 item 1),
for bench/postfix/run.py --profile: the same load as a benchmark row, run twice more
with a tool attached to the running `domainauth serve`:
  - `strace -c -f` on every thread: system calls per message, by kind;
  - `perf record -e cpu-clock` (software clock events, as VMs often lack hardware
    counters): the CPU samples by component (kernel, malloc/free, Asio, OpenSSL,
    SQLite, logging, each domainauth module) and by thread.
The CPU per message of a component is its share of the samples times the filter CPU
per message measured (from /proc) in the same perf row; strace slows every system
call down, so its row gives counts only. Reads only the tools' own output."""

import os
import re
import subprocess
import time

# Symbol patterns -> component, first match wins (applied to "dso symbol").
COMPONENTS = (
    ("kernel (system calls, scheduling, network)", r"^\[kernel"),
    ("malloc / free", r"\b(malloc|free|cfree|realloc|calloc|_int_\w+|tcache\w*|operator new|operator delete|"
                      r"malloc_consolidate|unlink_chunk)\b"),
    ("OpenSSL (hashing, RSA, Ed25519)", r"^libcrypto"),
    ("SQLite", r"^libsqlite3"),
    ("logging (spdlog, fmt)", r"spdlog::|fmt::"),
    ("Asio (event loop, coroutines, strands)", r"asio::"),
    ("milter protocol", r"domainauth::milter::"),
    ("DKIM and ARC", r"domainauth::(dkim|arc)::"),
    ("SPF", r"domainauth::spf::"),
    ("DMARC", r"domainauth::dmarc::"),
    ("DNS (resolver, cache)", r"domainauth::dns::|^libunbound"),
    ("engine (per-message checks, A-R)", r"domainauth::(engine|authres)::"),
    ("mail parsing, text", r"domainauth::(mail|text)::"),
    ("history, metrics", r"domainauth::(store|queue|metrics)::"),
    ("other domainauth", r"domainauth::|^domainauth "),
    ("libc other (memcpy, string)", r"^libc"),
    ("libstdc++", r"^libstdc\+\+"),
)


def _tids(pid):
    return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))


def _thread_names(pid):
    names = {}
    for tid in _tids(pid):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names[tid] = f.read().strip()
        except OSError:
            pass
    return names


def strace_row(load_row, pid, work):
    """Runs load_row() under strace -c -f on every thread of pid; returns (row, {syscall: calls})."""
    out = os.path.join(work, f"strace-{pid}.txt")
    tracer = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", ",".join(map(str, _tids(pid)))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # attached to every thread
    row = load_row()
    tracer.send_signal(2)
    tracer.wait(60)
    calls = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
            if m and m.group(2) != "total":
                calls[m.group(2)] = int(m.group(1))
    return row, calls


def perf_row(load_row, pid, work):
    """Runs load_row() under perf record (cpu-clock); returns (row, {component: share}, {thread: share})."""
    data = os.path.join(work, f"perf-{pid}.data")
    names = _thread_names(pid)
    recorder = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "4999", "-p", str(pid), "-o", data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    row = load_row()
    recorder.send_signal(2)
    recorder.wait(60)
    report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "pid,dso,sym",
                             "-F", "overhead,pid,dso,sym"], capture_output=True, text=True).stdout
    components, threads = {}, {}
    for line in report.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\d+):(\S+)\s+(\S+)\s+\[.\]\s+(.*)$", line)
        if not m:
            continue
        share, tid, dso, sym = float(m.group(1)) / 100, int(m.group(2)), m.group(4), m.group(5).strip()
        key = f"{dso} {sym}"
        component = next((name for name, pattern in COMPONENTS if re.search(pattern, key)), "other")
        components[component] = components.get(component, 0.0) + share
        name = names.get(tid, "")
        thread = ("main (event loop)" if tid == pid else name if name.startswith("da-")
                  else "other threads (crypto pool, resolver)")
        threads[thread] = threads.get(thread, 0.0) + share
    return row, components, threads


def profile(name, load_row, pid, work):
    """Both rows for one setup, as a dict for run.py's JSON."""
    traced, calls = strace_row(load_row, pid, work)
    sampled, components, threads = perf_row(load_row, pid, work)
    messages = max(1, traced["messages"])
    cpu_ms = sampled["filter_cpu_s_per_1000"]
    return {
        "setup": name, "messages": sampled["messages"], "filter_cpu_ms_per_message": cpu_ms,
        "syscalls_per_message": {k: v / messages for k, v in sorted(calls.items(), key=lambda kv: -kv[1])},
        "syscalls_total_per_message": sum(calls.values()) / messages,
        "cpu_ms_by_component": {k: cpu_ms * v for k, v in sorted(components.items(), key=lambda kv: -kv[1])},
        "cpu_ms_by_thread": {k: cpu_ms * v for k, v in sorted(threads.items(), key=lambda kv: -kv[1])},
    }


def markdown(profiles):
    """The tables docs/architecture.md quotes."""
    lines = []
    for p in profiles:
        lines += ["", f"#### {p['setup']}: {p['filter_cpu_ms_per_message']:.3f} ms filter CPU per message "
                  f"({p['messages']} messages), {p['syscalls_total_per_message']:.1f} system calls per message", "",
                  "| component | ms per message |", "| --- | ---: |"]
        lines += [f"| {k} | {v:.3f} |" for k, v in p["cpu_ms_by_component"].items() if v >= 0.0005]
        lines += ["", "| thread | ms per message |", "| --- | ---: |"]
        lines += [f"| {k} | {v:.3f} |" for k, v in p["cpu_ms_by_thread"].items() if v >= 0.0005]
        lines += ["", "| system call | per message |", "| --- | ---: |"]
        lines += [f"| {k} | {v:.2f} |" for k, v in p["syscalls_per_message"].items() if v >= 0.01]
    return lines
