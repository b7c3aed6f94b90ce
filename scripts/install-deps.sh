#!/usr/bin/env bash
# Installs every Debian 12 package domainauth needs to build, run and test.
# Idempotent: packages already present are left alone; run as root.
# Usage: scripts/install-deps.sh [build|test|bench]   (default: test, which includes build;
# bench adds the peers scripts/bench.sh measures against)
set -euo pipefail

want=${1:-test}

build_pkgs=(
  cmake ninja-build g++ pkg-config ccache
  libssl-dev libunbound-dev libasio-dev libtoml11-dev libcli11-dev
  libspdlog-dev libfmt-dev libpsl-dev libidn2-dev publicsuffix
  libsqlite3-dev libpq-dev zlib1g-dev libpugixml-dev libcurl4-openssl-dev
  nlohmann-json3-dev dpkg-dev libjs-chart.js
)
test_pkgs=(
  clang libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev
  unbound ldnsutils postfix postfix-lmdb swaks sasl2-bin libsasl2-modules openssl
  python3 python3-yaml python3-dkim python3-spf python3-dns
  opendkim opendkim-tools
  dbconfig-no-thanks opendmarc
  postgresql libxml2-utils
  iproute2 util-linux procps acl
  lintian adduser systemd man-db groff-base
  prometheus chromium fonts-liberation
)

bench_pkgs=(
  postfix-policyd-spf-python socat linux-perf strace
)

pkgs=("${build_pkgs[@]}")
[ "$want" = test ] && pkgs+=("${test_pkgs[@]}")
[ "$want" = bench ] && pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "install-deps: all ${#pkgs[@]} packages present"; exit 0; }

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; the tests write their own configuration.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string localhost" | debconf-set-selections
# The package scripts must not start system daemons (unbound on :53, postfix on
# :25, opendkim, postgresql): the tests start their own on loopback.
policy=/usr/sbin/policy-rc.d
restore=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; restore=1
fi
trap '[ -n "$restore" ] && rm -f "$policy"' EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
