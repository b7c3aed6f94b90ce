#!/usr/bin/env bash
# Benchmarks domainauth against the incumbents, side by side in one run, and writes
# bench/results/latest.md (tables with ratios, the machine) and latest.json (raw
# figures). Not part of CI: scripts/test.sh never calls it and nothing here asserts
# a timing. Run as root on Debian 12 (the policy and Postfix parts run unbound,
# Postfix and the peers inside tests/e2e/lib/netns-run, on loopback only).
#
#   scripts/bench.sh                 every part
#   scripts/bench.sh inprocess       DKIM sign/verify, body hashing, SPF vs openssl speed
#   scripts/bench.sh policy          policy service vs postfix-policyd-spf-python
#   scripts/bench.sh postfix         Postfix alone / OpenDKIM / OpenDKIM+OpenDMARC+policyd-spf / domainauth
#   scripts/bench.sh profile         where domainauth's CPU and system calls go per message behind
#                                    Postfix (perf, strace): bench/results/profile.md; not in "every part"
#   scripts/bench.sh ab --baseline=BINARY [--rounds=N] [--ab-sizes=4KB,100KB]
#                                    this build against an older one behind Postfix, the domainauth
#                                    setups' rows (4 KB unless --ab-sizes) in alternating order for N
#                                    rounds (default 5), filter CPU and latency percentiles:
#                                    bench/results/ab.md; not in "every part"
#   scripts/bench.sh load --baseline=BINARY [--rounds=N] [--ab-sizes=4KB,100KB]
#                                    the same without Postfix: bench/milter_load drives each build's
#                                    milter socket as Postfix would, 10 and 100 sessions; CPU and
#                                    latency percentiles: bench/results/load.md; not in "every part"
#   options: --quick (shorter runs, for trying the harness), --no-build,
#            --baseline=BINARY (postfix: the domainauth setups again with an older build),
#            --setups=a,b (postfix: some setups only; see bench/postfix/run.py)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

parts=()
postfix_args=()
quick=0
build=1
rounds_ab=5
for arg in "$@"; do
  case $arg in
    inprocess|policy|postfix|profile|ab|load) parts+=("$arg") ;;
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --baseline=*|--setups=*|--ab-sizes=*) postfix_args+=("$arg") ;;
    --rounds=*) rounds_ab=${arg#--rounds=} ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $arg" >&2; exit 1 ;;
  esac
done
[ ${#parts[@]} -eq 0 ] && parts=(inprocess policy postfix)
wants() { [[ " ${parts[*]} " == *" $1 "* ]]; }

bash scripts/install-deps.sh bench
bld=$root/build-bench
if [ $build = 1 ]; then
  cmake -S . -B "$bld" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOMAINAUTH_BENCH=ON -DDOMAINAUTH_TESTS=OFF >/dev/null
  cmake --build "$bld" -j "$(nproc)"
fi
out=$bld/bench-out
rm -rf "$out"; mkdir -p "$out"
bench/machine.sh > "$out/machine.json"
echo "bench: machine $(cat "$out/machine.json")"

if wants inprocess; then
  # Rounds; in each, every openssl speed measurement is followed at once by our
  # benchmarks compared with it, so each figure has an openssl figure measured
  # seconds before it (the machine's speed drifts).
  secs=2; rounds=5
  [ $quick = 1 ] && { secs=1; rounds=1; }
  groups=("rsa2048:(dkim_.*|openssl_speed_operation)/rsa2048" "ed25519:dkim_.*/ed25519" "-bytes 16384 sha256:body_hash/" ":spf_")
  for round in $(seq 1 $rounds); do
    for k in "${!groups[@]}"; do
      speed=${groups[$k]%%:*} filter=${groups[$k]#*:}
      echo "bench: round $round/$rounds: ${speed:+openssl speed -seconds $secs $speed, then }$filter"
      if [ -n "$speed" ]; then
        # shellcheck disable=SC2086 # $speed is several arguments
        openssl speed -mr -seconds $secs $speed 2>/dev/null | bench/openssl_speed.py > "$out/openssl.$round.$k.json"
      fi
      "$bld/bench/bench_inprocess" --benchmark_filter="$filter" --benchmark_min_time=$secs \
        --benchmark_out="$out/inprocess.$round.$k.json" --benchmark_out_format=json
    done
  done
  # The signing and hashing targets once more, interleaved in one process (Google
  # Benchmark's random interleaving) and paired by repetition: without the drift
  # between an openssl speed run and ours. openssl_speed_operation is what
  # openssl speed rsa2048 times, with our key; the rounds compare it with openssl speed.
  reps=40
  [ $quick = 1 ] && reps=3
  echo "bench: interleaved: $reps repetitions of the signing and body hashing benchmarks"
  "$bld/bench/bench_inprocess" \
    --benchmark_filter='^(openssl_speed_operation/rsa2048|dkim_sign_operation/.*|dkim_sign/rsa2048/4KB|body_hash/.*|milter_session/.*)$' \
    --benchmark_repetitions=$reps --benchmark_min_time=0.05 --benchmark_enable_random_interleaving=true \
    --benchmark_out="$out/interleaved.json" --benchmark_out_format=json
fi
if wants policy; then
  echo "bench: policy service"
  tests/e2e/lib/netns-run /usr/bin/python3 bench/policy/run.py --domainauth "$bld/src/domainauth" \
    --client "$bld/bench/policy_client" --out "$out/policy.json" $([ $quick = 1 ] && echo --quick)
fi
if wants postfix; then
  echo "bench: full stack through Postfix"
  PYTHONPATH=$root/tests/e2e/lib tests/e2e/lib/netns-run /usr/bin/python3 bench/postfix/run.py \
    --domainauth "$bld/src/domainauth" --floor "$bld/bench/floor_milter" --out "$out/postfix.json" \
    $([ $quick = 1 ] && echo --quick) \
    "${postfix_args[@]}"
fi

if wants profile; then
  echo "bench: profile of the domainauth setups behind Postfix"
  PYTHONPATH=$root/tests/e2e/lib tests/e2e/lib/netns-run /usr/bin/python3 bench/postfix/run.py \
    --domainauth "$bld/src/domainauth" --out "$out/profile.json" --profile \
    --setups=sign-rsa,sign-ed25519,inbound $([ $quick = 1 ] && echo --quick)
  { echo "# Where the CPU goes per message (scripts/bench.sh profile)"; echo
    echo "Commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + uncommitted changes'), $(date -u +%FT%TZ)."
    echo "Machine: $(cat "$out/machine.json")"
    /usr/bin/python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["markdown"]))' "$out/profile.json"
  } > bench/results/profile.md
  echo "bench: wrote bench/results/profile.md"
  [ ${#parts[@]} -eq 1 ] && exit 0
fi

# This build against --baseline in alternating rounds: run.py's --ab (behind
# Postfix) or --load (bench/milter_load on the milter socket, no Postfix); writes
# bench/results/$1.md.
paired() {
  local part=$1 title=$2; shift 2
  echo "bench: $title, $rounds_ab rounds"
  PYTHONPATH=$root/tests/e2e/lib tests/e2e/lib/netns-run /usr/bin/python3 bench/postfix/run.py \
    --domainauth "$bld/src/domainauth" --out "$out/$part.json" "$@" \
    "${postfix_args[@]}" $([ $quick = 1 ] && echo --quick)
  { echo "# $title"; echo
    echo "Commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + uncommitted changes'), $(date -u +%FT%TZ); baseline: ${postfix_args[*]}."
    echo "Machine: $(cat "$out/machine.json")"
    echo
    /usr/bin/python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["markdown"]))' "$out/$part.json"
  } > "bench/results/$part.md"
  echo "bench: wrote bench/results/$part.md"
}
if wants ab; then
  paired ab "This build against a baseline behind Postfix (scripts/bench.sh ab)" --ab="$rounds_ab"
  [ ${#parts[@]} -eq 1 ] && exit 0
fi
if wants load; then
  paired load "This build against a baseline, the milter driven without Postfix (scripts/bench.sh load)" \
    --load="$rounds_ab" --loader "$bld/bench/milter_load"
  [ ${#parts[@]} -eq 1 ] && exit 0
fi

bench/report.py "$out" bench/results
echo "bench: wrote bench/results/latest.md and latest.json"
