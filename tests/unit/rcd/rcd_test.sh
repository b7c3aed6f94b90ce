#!/bin/sh
# Checks contrib/freebsd/domainauth.in (argument 1): sh -n, then with the stub
# rc.subr (argument 2) and a stub domainauth: not started unless enabled; the
# defaults (mailnull, %%PREFIX%%/etc/domainauth/domainauth.toml) and rc.conf
# overrides reach daemon(8)'s command line; the run folder is made for the user;
# a failing configtest stops the start; reload sends SIGHUP to the program's PID.
set -u
script=$1
stub=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() { # check WHAT COMMAND...: records a pass or prints the failure
	what=$1; shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
logged() { grep -qxF -- "$1" "$RC_LOG"; }

check "sh -n" sh -n "$script"

prefix=$work/prefix
mkdir -p "$prefix/sbin" "$prefix/etc/domainauth" "$work/run"
: > "$prefix/etc/domainauth/domainauth.toml"
# The stub program records its arguments; STUB_STATUS is its exit status.
cat > "$prefix/sbin/domainauth" <<STUB
#!/bin/sh
echo "domainauth \$*" >> "\$RC_LOG"
exit \${STUB_STATUS:-0}
STUB
chmod 755 "$prefix/sbin/domainauth"
sed -e "s|%%PREFIX%%|$prefix|g" -e "s|^\. /etc/rc.subr\$|. $stub|" "$script" > "$work/domainauth"
check "the script sources rc.subr" grep -qF ". $stub" "$work/domainauth"

export RC_LOG="$work/log" RC_CONF="$work/rc.conf"
rc() { : > "$RC_LOG"; sh "$work/domainauth" "$@" > "$work/out" 2>&1; }
config=$prefix/etc/domainauth/domainauth.toml

: > "$RC_CONF"
rc start
check "not started unless enabled" test ! -s "$RC_LOG"
check "says how to enable" grep -q "Set domainauth_enable to YES" "$work/out"

echo 'domainauth_enable="YES"' > "$RC_CONF"
rc start
check "start: run folder for mailnull" logged "install -d -o mailnull -g mailnull -m 0750 /var/run/domainauth"
check "start: configtest first" logged "domainauth configtest --config $config"
check "start: daemon(8) runs serve as mailnull" logged "run as mailnull: /usr/sbin/daemon -f -r -S -l mail -T domainauth \
-P /var/run/domainauth/supervisor.pid -p /var/run/domainauth/domainauth.pid $prefix/sbin/domainauth serve --config $config"

cat > "$RC_CONF" <<CONF
domainauth_enable=YES
domainauth_config=$work/other.toml
domainauth_user=dauth
domainauth_group=postfix
domainauth_rundir=$work/run
CONF
: > "$work/other.toml"
rc start
check "rc.conf: user and group" logged "install -d -o dauth -g postfix -m 0750 $work/run"
check "rc.conf: config and run folder" grep -q "^run as dauth: .* -P $work/run/supervisor.pid .* serve --config $work/other.toml\$" "$RC_LOG"

STUB_STATUS=1 rc start
check "a failing configtest stops the start" sh -c '! grep -q "^run as" "$RC_LOG"'

rc reload
check "reload without a PID file fails" sh -c '! grep -q "^kill" "$RC_LOG"'
check "and says why" grep -q "not running" "$work/out"
echo 4242 > "$work/run/domainauth.pid"
rc reload
check "reload: configtest, then SIGHUP to the program" logged "kill -HUP 4242"
check "reload checks the configuration first" logged "domainauth configtest --config $work/other.toml"
STUB_STATUS=1 rc reload
check "reload with a bad configuration sends nothing" sh -c '! grep -q "^kill" "$RC_LOG"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
