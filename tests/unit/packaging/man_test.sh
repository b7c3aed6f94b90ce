#!/bin/sh
# The man pages against the program (build folder: argument 1, source: argument 2):
# every key `domainauth serve --help-config` lists has its entry in the generated
# domainauth.toml(5), every subcommand of `domainauth --help` its section in
# domainauth(8), and groff -ww renders both without a warning. Skipped (77) in a
# build folder without the program.
set -u
build=$1
source=$2
program=$build/src/domainauth
[ -x "$program" ] || { echo "no $program: skipped"; exit 77; }
page5=$build/packaging/man/domainauth.toml.5
page8=$source/packaging/man/domainauth.8
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

keys=$("$program" serve --help-config | grep -v '^ ' | cut -d' ' -f1)
[ -n "$keys" ] || fail "serve --help-config listed no key"
for key in $keys; do
	grep -qxF ".B $(echo "$key" | sed 's/-/\\-/g')" "$page5" || fail "domainauth.toml(5) has no entry for $key"
done
commands=$("$program" --help | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z]*\) .*/\1/p')
[ -n "$commands" ] || fail "domainauth --help listed no subcommand"
for command in $commands; do
	grep -q "^\.SS $command\( \|\$\)" "$page8" || fail "domainauth(8) has no section for $command"
done
for page in "$page5" "$page8"; do
	warnings=$(groff -ww -z -man "$page" 2>&1)
	[ -z "$warnings" ] || fail "groff -ww: $page: $warnings"
done
echo "$(echo "$keys" | wc -l) keys, $(echo "$commands" | wc -l) commands; $failed failed"
[ "$failed" = 0 ]
