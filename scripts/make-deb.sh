#!/bin/sh
# make deb: build the Debian package with `dpkg-buildpackage -us -uc -b`
# in a temporary copy of the tree (it writes the .deb into the parent
# directory) and move the results, with the source package (.dsc), into
# OUTDIR (default build/deb).
# The copy gets a VERSION file and debian/changelog's version from
# scripts/version.sh, so the package and `leads --version` agree.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
out=${1:-build/deb}
for t in dpkg-buildpackage dh; do
	command -v $t >/dev/null 2>&1 ||
		{ echo "make deb: $t is missing (sh scripts/install-deps.sh installs it)" >&2; exit 1; }
done
version=$(sh scripts/version.sh)
debversion=$(sh scripts/version.sh --debian)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/leads-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
src=$tmp/leads-$debversion
mkdir "$src"
# The tree as it is, uncommitted changes included: the files git knows or
# would add (not build/, the binary, databases), or everything but build/
# outside a checkout.
if [ -e .git ] && git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./leads --exclude=./leads.tmp -cf - . | tar -xf - -C "$src"
fi
printf '%s\n' "$version" > "$src/VERSION"
sed -i "1s/^leads ([^)]*)/leads ($debversion)/" "$src/debian/changelog"

echo "deb: building leads $debversion"
# The source package too, from the clean copy, so that lintian can judge
# debian/ itself (make check-deb); nothing else uses it.
(cd "$tmp" && dpkg-source -b "leads-$debversion") >"$tmp/source.log" 2>&1 || {
	cat "$tmp/source.log" >&2
	echo "make deb: dpkg-source failed" >&2
	exit 1
}
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1 || {
	tail -n 40 "$tmp/build.log" >&2
	echo "make deb: dpkg-buildpackage failed (last 40 lines above)" >&2
	exit 1
}
mkdir -p "$out"
rm -f "$out"/leads_* "$out"/leads-dbgsym_*
for f in "$tmp"/*.deb "$tmp"/*.ddeb "$tmp"/*.buildinfo "$tmp"/*.changes "$tmp"/*.dsc "$tmp"/*.tar.*; do
	[ -e "$f" ] && mv "$f" "$out/"
done
cp "$tmp/build.log" "$out/build.log"
ls "$out"/*.deb
