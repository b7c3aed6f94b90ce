#!/bin/sh
# configtest checks the listen addresses (issue 17 item 5): free ones pass; an
# address something already accepts on (here a running serve) is a warning,
# not an error; a unix socket in a missing folder, or in a folder daemon.user
# (nobody) cannot write, is an error with exit 1. Build folder: argument 1.
set -u
program=$1/src/domainauth
[ -x "$program" ] || { echo "no $program: skipped"; exit 77; }
work=$(mktemp -d)
serve_pid=
trap '[ -n "$serve_pid" ] && kill "$serve_pid"; rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
port=$((30000 + $$ % 20000))
cat > "$work/inet.toml" <<EOT
[daemon]
user = ""
[store]
backend = "none"
[milter]
listen = ["inet:127.0.0.1:$port"]
[policy]
listen = ["inet:127.0.0.1:$((port + 1))"]
EOT
"$program" configtest --config "$work/inet.toml" > "$work/out" 2>&1 || fail "free addresses: $(cat "$work/out")"
"$program" serve --config "$work/inet.toml" 2> "$work/serve.log" &
serve_pid=$!
for _ in $(seq 50); do grep -q event=started "$work/serve.log" && break; sleep 0.1; done
"$program" configtest --config "$work/inet.toml" --json > "$work/out" 2>&1 || fail "in use is no error: $(cat "$work/out")"
grep -q "inet:127.0.0.1:$port: in use (by a running daemon?)" "$work/out" || fail "no in-use warning: $(cat "$work/out")"
kill "$serve_pid"; wait "$serve_pid"; serve_pid=

mkdir "$work/closed"; chmod 0755 "$work/closed"
cat > "$work/unix.toml" <<EOT
[daemon]
user = "nobody"
[store]
backend = "none"
[milter]
listen = ["unix:$work/missing/milter.sock"]
[policy]
listen = ["unix:$work/closed/policy.sock"]
EOT
"$program" configtest --config "$work/unix.toml" > "$work/out" 2>&1
[ $? = 1 ] || fail "unix errors exit 1"
grep -q "folder $work/missing does not exist" "$work/out" || fail "missing folder: $(cat "$work/out")"
grep -q "folder $work/closed is not writable by user nobody" "$work/out" || fail "unwritable folder: $(cat "$work/out")"
echo "$failed failed"
[ "$failed" = 0 ]
