#!/bin/sh
# make dist: a release tarball of HEAD, OUTDIR/leads-VERSION.tar.gz, with a
# VERSION file (scripts/version.sh reads it where there is no .git). The
# same commit gives the same bytes: files sorted by name, every mtime the
# commit's time, owner 0/0, modes from git (0644/0755), gzip without a
# name or a time stamp.
set -eu
cd "$(dirname "$0")/.."
out=${1:-build/dist}
git rev-parse --git-dir >/dev/null 2>&1 || { echo "make dist: needs a git checkout" >&2; exit 1; }
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "make dist: note: the tarball is HEAD; uncommitted changes are not in it" >&2
version=$(sh scripts/version.sh --head)
name=leads-$version
mtime=$(git log -1 --format=%ct HEAD)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/leads-dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
git -c tar.umask=0022 archive --format=tar --prefix="$name/" HEAD | tar -xpf - -C "$tmp"
printf '%s\n' "$version" >"$tmp/$name/VERSION"
mkdir -p "$out"
(cd "$tmp" && tar --sort=name --mtime="@$mtime" --owner=0 --group=0 --numeric-owner \
	--mode=u+w,go-w --format=gnu -cf - "$name") | gzip -n -9 >"$tmp/out.tar.gz"
mv "$tmp/out.tar.gz" "$out/$name.tar.gz"
echo "$out/$name.tar.gz"
