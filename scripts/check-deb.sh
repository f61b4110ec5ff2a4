#!/bin/sh
# make check-deb: the .deb that `make deb` left in DIR (default build/deb)
# passes lintian with no error or warning, and installs, runs and purges
# cleanly in a throw-away root: an overlay of / (lowerdir=/, upper and work
# dirs on a tmpfs) in a mount namespace of its own, entered with chroot. No
# network: the package's dependencies are those the build needed, already
# on the machine. Without root or overlayfs the install test is skipped
# (exit 0, "skipped: ..."); lintian runs either way.
#   usage: check-deb.sh [DIR]
# The second stage (--root DEB VERSION TMP) runs inside the namespace.
set -eu
cd "$(dirname "$0")/.."

if [ "${1:-}" = --root ]; then
	deb=$2 version=$3 tmp=$4
	root=$tmp/root
	# Nothing mounted here may show outside: make every mount private, or,
	# in a chroot (where / is no mount point, as in the fresh Debian 12
	# test), the temporary directory that holds them all.
	held=
	trap 'umount "$root/proc" "$root/dev" "$root" "$tmp/rw" $held 2>/dev/null || true' EXIT
	if ! mount --make-rprivate / 2>/dev/null; then
		mount --bind "$tmp" "$tmp" && mount --make-private "$tmp" || exit 77
		held=$tmp
	fi
	mkdir "$tmp/rw" "$root"
	mount -t tmpfs -o mode=755,size=1g tmpfs "$tmp/rw" || exit 77
	mkdir "$tmp/rw/upper" "$tmp/rw/work"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$tmp/rw/upper,workdir=$tmp/rw/work" "$root" || exit 77
	# A /dev of its own (never a bind of the real one) and /proc.
	mount -t tmpfs -o mode=755 tmpfs "$root/dev"
	for n in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
		IFS=: read -r name maj min <<-END
		$n
		END
		mknod -m 666 "$root/dev/$name" c "$maj" "$min"
	done
	mount -t proc proc "$root/proc"

	# Every path of the root before the install, without what changes on
	# its own (dpkg's books and logs, caches, temporary and virtual dirs).
	snap() {
		(cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run \
			-o -path ./tmp -o -path ./var/tmp -o -path ./var/lib/dpkg -o -path ./var/log \
			-o -path ./var/cache -o -path ./leads-check \) -prune -o -print 2>/dev/null || true) |
			LC_ALL=C sort >"$1"
	}
	snap "$tmp/before"

	mkdir "$root/leads-check"
	cp "$deb" "$root/leads-check/leads.deb"
	cat >"$root/leads-check/run.sh" <<-'END'
	set -eu
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
	export HOME=/leads-check/home XDG_CONFIG_HOME=/leads-check/home/.config
	export XDG_DATA_HOME=/leads-check/home/.local/share LEADS_DB=/leads-check/home/leads.db
	mkdir -p "$HOME"
	say() { echo "check-deb: $*"; }
	say "dpkg -i"
	dpkg -i /leads-check/leads.deb >/leads-check/dpkg-i.log 2>&1 || { cat /leads-check/dpkg-i.log; exit 1; }
	dpkg -L leads >/leads-check/files
	say "leads --version"
	test "$(command -v leads)" = /usr/bin/leads
	v=$(leads --version)
	echo "  $v"
	case $v in "leads $1 (sqlite "*) ;; *) say "expected version $1"; exit 1 ;; esac
	say "man leads"
	if command -v man >/dev/null 2>&1; then
		MANWIDTH=80 MANPAGER=cat man leads 2>&1 | grep -q "^SYNOPSIS"
		MANWIDTH=80 MANPAGER=cat man 5 leads-config 2>&1 | grep -q "^DESCRIPTION"
	elif command -v mandoc >/dev/null 2>&1; then
		zcat /usr/share/man/man1/leads.1.gz | mandoc -Tascii | grep -q SYNOPSIS
	else
		test -s /usr/share/man/man1/leads.1.gz && test -s /usr/share/man/man5/leads-config.5.gz
	fi
	say "a short tour"
	set -x
	leads init
	leads add --first Ana --last Lima --email ana@example.com --company Acme
	leads add --first Bo --last Berg --email bo@example.com --company Birch
	leads move 1 --next
	leads note 2 "call back on Monday"
	leads list
	leads funnel
	{ set +x; } 2>/dev/null
	say "completions"
	test -s /usr/share/zsh/vendor-completions/_leads
	test -s /usr/share/fish/vendor_completions.d/leads.fish
	bash -c '. /usr/share/bash-completion/completions/leads && complete -p leads' >/dev/null
	if command -v systemd-analyze >/dev/null 2>&1; then
		say "systemd-analyze verify --user examples/systemd"
		mkdir -m 700 /leads-check/run
		out=$(XDG_RUNTIME_DIR=/leads-check/run systemd-analyze verify --user \
			/usr/share/doc/leads/examples/systemd/*.timer /usr/share/doc/leads/examples/systemd/*.service 2>&1) ||
			{ echo "$out"; exit 1; }
		[ -z "$out" ] || { echo "$out"; exit 1; }
	else
		say "systemd-analyze missing: the example units are not verified"
	fi
	say "dpkg --purge"
	dpkg --purge leads >/leads-check/dpkg-purge.log 2>&1 || { cat /leads-check/dpkg-purge.log; exit 1; }
	if dpkg-query -W -f='${db:Status-Abbrev}' leads 2>/dev/null | grep -q '^[a-z]i'; then
		say "leads is still installed after the purge"; exit 1
	fi
	if ls /var/lib/dpkg/info/leads.* >/dev/null 2>&1; then
		say "dpkg still has records of leads:"; ls /var/lib/dpkg/info/leads.*; exit 1
	fi
	left=
	while read -r f; do
		[ -d "$f" ] || [ ! -e "$f" ] || left="$left $f"
	done </leads-check/files
	[ -z "$left" ] || { say "files of the package left after the purge:$left"; exit 1; }
	END
	rc=0
	chroot "$root" /bin/sh /leads-check/run.sh "$version" || rc=$?
	cp "$root/leads-check/files" "$tmp/files" 2>/dev/null || true
	rm -rf "$root/leads-check"
	[ $rc -eq 0 ] || exit 1

	# After the purge: no path that was not there before, none gone. Only
	# paths in the overlay's upper dir count: the rest of / is live and
	# may change meanwhile (another build, another install).
	snap "$tmp/after"
	bad=
	for f in $(LC_ALL=C comm -13 "$tmp/before" "$tmp/after"); do
		[ -e "$tmp/rw/upper/$f" ] && bad="$bad
  left: ${f#.}"
	done
	for f in $(LC_ALL=C comm -23 "$tmp/before" "$tmp/after"); do
		[ -e "$tmp/rw/upper/$f" ] || [ -h "$tmp/rw/upper/$f" ] && bad="$bad
  removed: ${f#.}"
	done
	if [ -n "$bad" ]; then
		echo "check-deb: the root differs after install and purge:$bad"
		exit 1
	fi
	echo "check-deb: purged; nothing of the package left ($(wc -l <"$tmp/files") paths checked)"
	exit 0
fi

dir=${1:-build/deb}
deb=$(ls "$dir"/leads_*.deb 2>/dev/null | head -n 1)
changes=$(ls "$dir"/leads_*.changes 2>/dev/null | head -n 1)
dsc=$(ls "$dir"/leads_*.dsc 2>/dev/null | head -n 1)
[ -n "$deb" ] && [ -n "$changes" ] && [ -n "$dsc" ] || { echo "check-deb: no package in $dir (make deb)" >&2; exit 1; }
version=$(sh scripts/version.sh)

status=0
if command -v lintian >/dev/null 2>&1; then
	for f in "$dsc" "$changes"; do
		out=$(lintian --fail-on error,warning "$f" 2>&1) || status=1
		out=$(printf '%s\n' "$out" | grep -v '^running with root privileges is not recommended' || true)
		if [ -n "$out" ]; then
			printf 'check-deb: lintian %s:\n%s\n' "${f##*/}" "$out"
		else
			echo "check-deb: lintian ${f##*/}: no errors, no warnings"
		fi
	done
else
	echo "check-deb: lintian is missing (sh scripts/install-deps.sh installs it)" >&2
	status=1
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "check-deb: skipped: installing the package needs root (an overlay mount and chroot)"
	exit $status
fi
if ! command -v unshare >/dev/null 2>&1; then
	echo "check-deb: skipped: unshare(1) is missing, no private mount namespace"
	exit $status
fi
if ! unshare --mount --propagation unchanged true 2>/dev/null; then
	echo "check-deb: skipped: no private mount namespace here (unshare --mount failed)"
	exit $status
fi
case $deb in /*) ;; *) deb=$(pwd)/$deb ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/leads-check-deb.XXXXXX")
# The mounts live in the namespace and die with it; by the time this runs,
# $tmp holds plain files, and --one-file-system guards against the worst.
# (In a chroot, a copy of the bind of $tmp onto itself may have reached
# this namespace: unmount it first.)
trap 'umount "$tmp" 2>/dev/null || true; rm -rf --one-file-system "$tmp"' EXIT INT TERM
rc=0
unshare --mount --propagation unchanged sh "$0" --root "$deb" "$version" "$tmp" || rc=$?
case $rc in
0) ;;
77) echo "check-deb: skipped: overlayfs cannot be mounted here (lowerdir=/ on a tmpfs upper dir)" ;;
*) echo "check-deb: the install test failed" >&2; status=1 ;;
esac
exit $status
