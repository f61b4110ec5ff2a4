#!/bin/sh
# Install the Debian 12 packages that building, testing and benchmarking
# leads needs. Run as root (or with sudo). Nothing else is assumed on the
# machine: not even a compiler.
set -eu
pkgs="
  make gcc pkg-config libc6-dev
  libsqlite3-dev sqlite3 libyaml-dev libpq-dev libjansson-dev
  bats bats-assert bats-support bats-file
  clang-14 libclang-rt-14-dev clang-format-14
  mandoc jq libxml2-utils valgrind tzdata python3
  sqlite-utils time bc parallel
  libgmime-3.0-dev
  zsh fish bsdutils graphviz
  postgresql-15 postgresql-client-15
  lighttpd curl libssl3
  build-essential debhelper dpkg-dev git lintian man-db systemd python3
"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# Only hit the network when something is missing.
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
