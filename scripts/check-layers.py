#!/usr/bin/env python3
"""Checks that src/ follows the module order of docs/architecture.md.

The order is read from docs/architecture.md (the indented "a -> b, c -> d" block
after "The dependency order"); a module may include only modules before it, never
one after it nor one of its own rank ("spf, dkim"). Every `#include "module/..."`
in src/ is checked; src/CMakeLists.txt's DOMAINAUTH_MODULES must list the same
modules in the same order. Reads the repository's own files only.

usage: check-layers.py [--root DIR] [--allow FROM:TO ...] [--self-test]
  --allow FROM:TO  do not fail on module FROM including module TO (still printed)
Exit status 1 when a file breaks the order or the two lists disagree.
"""
import argparse
import pathlib
import re
import sys
import tempfile

ORDER_MARKER = "The dependency order"
INCLUDE = re.compile(r'^\s*#\s*include\s*"([A-Za-z0-9_]+)/')
CMAKE_MODULES = re.compile(r"set\(DOMAINAUTH_MODULES\s+([^)]*)\)")
SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".cc"}


def read_order(architecture):
    """Ranks from the order block: [["text"], ..., ["spf", "dkim"], ...]; main.cpp dropped."""
    lines = architecture.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if ORDER_MARKER in line), None)
    if start is None:
        raise SystemExit(f"{architecture}: no line with {ORDER_MARKER!r}")
    block = []
    for line in lines[start + 1:]:
        if line.startswith("    "):
            block.append(line.strip())
        elif block:
            break
    ranks = []
    for rank in " ".join(block).split("->"):
        names = [name.strip() for name in rank.split(",") if name.strip() and name.strip() != "main.cpp"]
        if names:
            ranks.append(names)
    if not ranks:
        raise SystemExit(f"{architecture}: no order block after {ORDER_MARKER!r}")
    return ranks


def check(root, allowed):
    """Problems as (text, allowed) pairs."""
    ranks = read_order(root / "docs" / "architecture.md")
    rank_of = {name: i for i, rank in enumerate(ranks) for name in rank}
    problems = []

    cmake = root / "src" / "CMakeLists.txt"
    listed = CMAKE_MODULES.search(cmake.read_text(encoding="utf-8"))
    flat = [name for rank in ranks for name in rank]
    if listed is None or listed.group(1).split() != flat:
        problems.append((f"{cmake.relative_to(root)}: DOMAINAUTH_MODULES is not docs/architecture.md's order: {' '.join(flat)}", False))

    src = root / "src"
    for module_dir in sorted(p for p in src.iterdir() if p.is_dir()):
        if module_dir.name not in rank_of:
            problems.append((f"{module_dir.relative_to(root)}: module {module_dir.name} is not in docs/architecture.md's order", False))
    for path in sorted(src.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or len(path.relative_to(src).parts) < 2:
            continue  # src/main.cpp sits above every module
        module = path.relative_to(src).parts[0]
        if module not in rank_of:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            included = match.group(1)
            if included == module or included not in rank_of or rank_of[included] < rank_of[module]:
                continue
            where = "above it" if rank_of[included] > rank_of[module] else "on its rank"
            problems.append((f"{path.relative_to(root)}:{number}: module {module} includes module {included}, "
                             f"which is {where}", (module, included) in allowed))
    return problems


def report(problems):
    """Prints the problems; True when none of them fails the check."""
    for text, allowed in problems:
        print(text + (" (allowed by --allow)" if allowed else ""))
    return all(allowed for _, allowed in problems)


def self_test():
    """A small tree with one violation of each kind: the check must find exactly those."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "docs").mkdir()
        (root / "docs" / "architecture.md").write_text(
            "## Modules\n\nThe dependency order (src/CMakeLists.txt) is:\n\n"
            "    text -> spf, dkim\n         -> cli -> main.cpp\n\n| module |\n")
        files = {
            "src/CMakeLists.txt": "set(DOMAINAUTH_MODULES text spf dkim cli)\n",
            "src/main.cpp": '#include "cli/cli.hpp"\n',
            "src/text/ascii.hpp": '#include <string>\n#include "text/utf8.hpp"\n',
            "src/spf/spf.cpp": '#include "text/ascii.hpp"\n#include "dkim/key.hpp"\n',
            "src/dkim/key.cpp": '// #include "cli/cli.hpp" in a comment is not an include\n',
            "src/cli/cli.cpp": '#include "spf/spf.hpp"\n#include "dkim/key.hpp"\n',
            "src/text/bad.hpp": '  #  include "cli/cli.hpp"\n',
        }
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        found = [text for text, _ in check(root, set())]
        want = ["src/spf/spf.cpp:2: module spf includes module dkim, which is on its rank",
                "src/text/bad.hpp:1: module text includes module cli, which is above it"]
        if found != want:
            print(f"self-test: found {found}, want {want}")
            return False
        allowed = check(root, {("spf", "dkim"), ("text", "cli")})
        if not all(is_allowed for _, is_allowed in allowed):
            print("self-test: --allow did not allow")
            return False
        (root / "src/CMakeLists.txt").write_text("set(DOMAINAUTH_MODULES text dkim spf cli)\n")
        if not any("DOMAINAUTH_MODULES" in text for text, _ in check(root, set())):
            print("self-test: a CMake list out of order went unnoticed")
            return False
    print("self-test: ok")
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent.parent)
    parser.add_argument("--allow", action="append", default=[], metavar="FROM:TO")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return 0 if self_test() else 1
    allowed = set()
    for pair in args.allow:
        source, _, target = pair.partition(":")
        if not source or not target:
            parser.error(f"--allow {pair}: expected FROM:TO")
        allowed.add((source, target))
    return 0 if report(check(args.root, allowed)) else 1


if __name__ == "__main__":
    sys.exit(main())
