#!/bin/sh
# Installs the build folder (argument 1) under a temporary prefix and checks the
# exact list of files, their modes, and that the unit names that prefix's paths.
# Skipped (77) in a build folder without the program (the TSan tree builds tests only).
set -u
build=$1
[ -x "$build/src/domainauth" ] || { echo "no $build/src/domainauth: skipped"; exit 77; }
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
got=$(cd "$prefix" && find . -type f -printf '%m %p\n' | sort)
want="644 ./etc/domainauth/domainauth.toml
644 ./lib/systemd/system/domainauth.service
644 ./lib/tmpfiles.d/domainauth.conf
644 ./share/doc/domainauth/changelog.gz
644 ./share/doc/domainauth/copyright
644 ./share/man/man5/domainauth.toml.5.gz
644 ./share/man/man8/domainauth.8.gz
755 ./sbin/domainauth"
status=0
if [ "$got" != "$want" ]; then
	printf 'FAIL: installed files\n got:\n%s\n want:\n%s\n' "$got" "$want"
	status=1
fi
line="ExecStart=$prefix/sbin/domainauth serve --config $prefix/etc/domainauth/domainauth.toml"
if ! grep -qxF "$line" "$prefix/lib/systemd/system/domainauth.service"; then
	echo "FAIL: the unit does not say: $line"
	status=1
fi
[ $status = 0 ] && echo "installed files and unit paths as expected"
exit $status
