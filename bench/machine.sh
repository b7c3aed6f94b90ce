#!/usr/bin/env bash
# Prints the machine a benchmark ran on as JSON: CPU model, cores, kernel, load.
set -euo pipefail
model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
printf '{"cpu": "%s", "cores": %s, "kernel": "%s", "os": "%s", "memory_mb": %s, "loadavg_at_start": "%s", "date": "%s"}\n' \
  "$model" "$(nproc)" "$(uname -r)" "$(. /etc/os-release && echo "$PRETTY_NAME")" \
  "$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u +%FT%TZ)"
