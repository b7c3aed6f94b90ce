#!/usr/bin/env bash
# Installs the build dependencies, builds domainauth and runs `domainauth serve` on
# its embedded defaults (foreground; Ctrl-C stops it). Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build
# The same build flags as scripts/test.sh, so the two share build/.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DDOMAINAUTH_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)"
exec build/src/domainauth serve "$@"
