#!/bin/sh
# The version of leads, from one place: the release tags.
#   in a git checkout: `git describe --tags --dirty` of the newest vX.Y.Z tag,
#     without the v (0.2.0, 0.2.0-3-gabc1234, 0.2.0-dirty); with no tag yet,
#     0.0.0-COUNT-gHASH in the same shape;
#   in a release tarball (`make dist`): the VERSION file it carries.
# --debian prints the same as a Debian version of a native package (no '-':
# 0.2.0+3.gabc1234), which `make deb` writes into debian/changelog.
set -eu
cd "$(dirname "$0")/.."
v=
if [ -e .git ] && command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
	if d=$(git describe --tags --dirty --match 'v[0-9]*' 2>/dev/null); then
		v=${d#v}
	else
		v=0.0.0-$(git rev-list --count HEAD)-g$(git describe --always --dirty --abbrev=7)
	fi
elif [ -f VERSION ]; then
	v=$(cat VERSION)
fi
if [ -z "$v" ]; then
	echo "version.sh: neither a git checkout nor a VERSION file: cannot tell the version" >&2
	exit 1
fi
case ${1:-} in
--debian) printf '%s\n' "$v" | sed 's/-/+/; s/-/./g' ;;
*) printf '%s\n' "$v" ;;
esac
