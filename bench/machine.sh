#!/usr/bin/env bash
# Prints the machine a benchmark ran on as JSON: CPU model, cores, kernel, load,
# the date and the commit measured ("-dirty" when src/ or bench/ had changes).
set -euo pipefail
model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src bench ':!bench/results' 2>/dev/null || commit="$commit-dirty"
printf '{"cpu": "%s", "cores": %s, "kernel": "%s", "os": "%s", "memory_mb": %s, "loadavg_at_start": "%s", "date": "%s", "commit": "%s"}\n' \
  "$model" "$(nproc)" "$(uname -r)" "$(. /etc/os-release && echo "$PRETTY_NAME")" \
  "$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u +%FT%TZ)" \
  "$commit"
