#!/bin/sh
# configtest as root opens the configuration's files as daemon.user (issue 17
# item 5): a key 0600 root is reported for nobody; the same key readable through
# a POSIX ACL entry is not, although its mode bits say it is unreadable; a file
# readable through a supplementary group of its user is not (a user with one is
# taken from the group database; skipped when there is none). An ACL entry or
# group read shows in the group mode bits, so sign.allow_group_readable_keys is
# set, as an administrator sharing keys that way must. The reports are
# warnings (exit 0): the daemon runs, only a reload would fail. Needs root and
# setfacl (skipped otherwise). Build folder: argument 1.
set -u
program=$1/src/domainauth
[ -x "$program" ] || { echo "no $program: skipped"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
command -v setfacl > /dev/null || { echo "no setfacl (package acl): skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
port=$((30000 + $$ % 20000))
mkdir "$work/keys"
openssl genrsa -out "$work/keys/k.private" 2048 2> /dev/null || { echo "no openssl: skipped"; exit 77; }
chmod 0600 "$work/keys/k.private"
key="$work/keys/k.private"
# config USER: a configuration serving on free ports, signing with the key.
config() {
  cat > "$work/domainauth.toml" <<EOT
[daemon]
user = "$1"
[store]
backend = "none"
[milter]
listen = ["inet:127.0.0.1:$port"]
[policy]
listen = ["inet:127.0.0.1:$((port + 1))"]
[sign]
allow_group_readable_keys = true
[[sign.key]]
domain = "example.com"
selector = "s1"
key_file = "$key"
EOT
  chmod 0644 "$work/domainauth.toml"
}
check() {  # check: configtest's exit status must be 0; its output in $work/out
  "$program" configtest --config "$work/domainauth.toml" > "$work/out" 2>&1 || fail "exit status $?: $(cat "$work/out")"
}

config nobody
check
grep -q "$key: not readable by user nobody (uid [0-9]*): Permission denied (mode 0600, owner root:root)" "$work/out" ||
  fail "root-only key not reported: $(cat "$work/out")"
grep -q "domainauth.toml: not readable" "$work/out" && fail "readable configuration reported: $(cat "$work/out")"

if setfacl -m u:nobody:r "$key" 2> /dev/null; then
  check
  grep -q "not readable" "$work/out" && fail "key readable through an ACL reported: $(cat "$work/out")"
  setfacl -b "$key"
else
  echo "no ACLs on $work: ACL case skipped"
fi

# A user with a supplementary group (the group database's 4th field), if any.
entry=$(getent group | awk -F: '$4 != "" { split($4, u, ","); print $1 ":" u[1]; exit }')
if [ -n "$entry" ]; then
  group=${entry%%:*}
  user=${entry#*:}
  chgrp "$group" "$key"
  chmod 0640 "$key"
  config "$user"
  check
  grep -q "not readable" "$work/out" && fail "key readable through group $group of $user reported: $(cat "$work/out")"
  chmod 0600 "$key"
  check
  grep -q "$key: not readable by user $user" "$work/out" || fail "key without group read not reported: $(cat "$work/out")"
else
  echo "no user with a supplementary group: group case skipped"
fi
echo "$failed failed"
[ "$failed" = 0 ]
