#!/bin/sh
# The version of leads, from one place: the release tags.
#   in a git checkout: `git describe --tags --dirty` of the newest vX.Y.Z tag,
#     without the v (0.2.0, 0.2.0-3-gabc1234, 0.2.0-dirty); with no tag yet,
#     0.0.0-COUNT-gHASH in the same shape;
#   in a release tarball (`make dist`): the VERSION file it carries;
#   in any other `git archive` of a commit (GitHub's tarballs, the fresh
#     Debian 12 test's copy): scripts/archive-version, which git fills in
#     (export-subst in .gitattributes) with the same describe and the
#     commit, 0.0.0-gHASH when no tag is reachable.
# --debian prints the same as a Debian version of a native package (no '-':
# 0.2.0+3.gabc1234), which `make deb` writes into debian/changelog.
# --head: the version of the commit, without -dirty (for `make dist`).
set -eu
cd "$(dirname "$0")/.."
debian= dirty=--dirty
for a in "$@"; do
	case $a in
	--debian) debian=1 ;;
	--head) dirty= ;;
	*) echo "usage: version.sh [--debian] [--head]" >&2; exit 64 ;;
	esac
done
v=
if [ -e .git ] && command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
	if d=$(git describe --tags $dirty --match 'v[0-9]*' 2>/dev/null); then
		v=${d#v}
	else
		v=0.0.0-$(git rev-list --count HEAD)-g$(git describe --always $dirty --abbrev=7)
	fi
elif [ -f VERSION ]; then
	v=$(cat VERSION)
elif [ -f scripts/archive-version ] && ! grep -q 'Format:' scripts/archive-version; then
	read -r d h <scripts/archive-version || true
	if [ -n "${h:-}" ]; then
		v=${d#v}
	else
		v=0.0.0-g$d
	fi
fi
if [ -z "$v" ]; then
	echo "version.sh: neither a git checkout nor a VERSION file: cannot tell the version" >&2
	exit 1
fi
if [ -n "$debian" ]; then
	printf '%s\n' "$v" | sed 's/-/+/; s/-/./g'
else
	printf '%s\n' "$v"
fi
