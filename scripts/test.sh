#!/usr/bin/env bash
# Installs what the tests need, checks the module order (scripts/check-layers.py), builds
# domainauth four ways and runs every test:
#   build/        the release build: unit, conformance and end-to-end tests (ctest)
#   build-asan/   AddressSanitizer + UndefinedBehaviorSanitizer: unit, conformance and the daemon's e2e tests
#   build-tsan/   ThreadSanitizer: the unit tests whose code runs worker threads
#   build-fuzz/   clang + libFuzzer: each fuzz target runs briefly over its seed corpus
# Run as root on Debian 12 (the end-to-end tests start unbound and Postfix on loopback
# inside a private network namespace). Exit status 0 only when every phase passed.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
bash scripts/install-deps.sh test
# ccache (CMakeLists.txt uses it when installed) hits across checkouts in other
# folders when paths are taken relative to the folder holding this one.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$PWD")}" CCACHE_NOHASHDIR=1

phase() { echo; echo "=== $*"; }

phase "layer order (docs/architecture.md)"
python3 scripts/check-layers.py --self-test
python3 scripts/check-layers.py

# Compiling is most of the run on a small machine: no debug info where nothing reads
# it (release: -g costs a quarter of the compile time), line tables only (-g1) where
# sanitizer and fuzzer reports need file:line.

phase "release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DDOMAINAUTH_TESTS=ON >/dev/null
cmake --build build -j "$jobs"

phase "sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1" -DDOMAINAUTH_SANITIZE=ON \
  -DDOMAINAUTH_TESTS=ON >/dev/null
cmake --build build-asan -j "$jobs"

phase "thread sanitizer build (the tests whose code runs worker threads)"
# The history writer, the failure-report worker and relay deadline, the milter
# server's sessions, the signing pool behind the engine's milter front end, and the
# dashboard's database reader and the web listener's deferred pages.
tsan_targets=(test_queue test_store test_report test_milter_server test_milter_engine test_web_dashboard test_web_server)
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" -DDOMAINAUTH_TSAN=ON \
  -DDOMAINAUTH_TESTS=ON >/dev/null
cmake --build build-tsan -j "$jobs" --target "${tsan_targets[@]}"

phase "fuzz build (clang, libFuzzer)"
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DDOMAINAUTH_FUZZ=ON -DDOMAINAUTH_TESTS=ON >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzzers

status=0
phase "sanitizer tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L 'unit|conformance' -j "$jobs" --output-on-failure --no-tests=error || status=1
phase "sanitizer end-to-end tests: the daemon (and its dashboard) and verify under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L e2e -R 'milter|policy|dns|abuse|verify|reload|dashboard' -j "$jobs" --output-on-failure \
  --no-tests=error || status=1
phase "thread sanitizer tests"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp \
  ctest --test-dir build-tsan -L unit -E 'NOT_BUILT|^layers' -j "$jobs" --output-on-failure --no-tests=error || status=1
phase "fuzz smoke runs"
ctest --test-dir build-fuzz -L fuzz -j "$jobs" --output-on-failure --no-tests=error || status=1
phase "release tests: unit, conformance, end to end"
ctest --test-dir build -j "$jobs" --output-on-failure --no-tests=error || status=1
exit $status
