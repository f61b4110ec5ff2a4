#!/bin/sh
# scripts/valgrind-suite.sh [BATS_FILE...] - the bats suite with every
# leads run under valgrind memcheck: no invalid read or write, no use of
# uninitialised memory, no definite leak.
#
# Builds build/valgrind/leads (-O1 -g, no sanitizers), then runs the bats
# files (default: all of tests/*.bats but the few listed in SLOW below)
# with LEADS_BIN pointing at a wrapper that runs
#
#   valgrind --leak-check=full --errors-for-leak-kinds=definite
#            --error-exitcode=99 ...
#
# so a memory error fails the command (exit 99) and usually its test; every
# report also goes to build/valgrind/logs/vg.PID.log. The script fails if
# any test failed or any log holds an error, and prints those logs.
#
# Environment: VALGRIND_JOBS (bats --jobs, default 2), VALGRIND_ALL=1 to
# run the SLOW files too.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
B=build/valgrind

# Files whose point is timing (signals at a read offset, busy timeouts,
# many processes at once) or volume (1600 adds at once, a month of sweeps
# over 3000 leads):
# under valgrind's 20-50x slow-down they test the clock, not the memory.
# Every command they use is run by the other files too.
SLOW="0008-concurrency 0104-import-interrupted 0304-sweep-month 0430-stress 0440-crash"

command -v valgrind >/dev/null || {
	echo "valgrind-suite: valgrind not found (apt-get install valgrind)" >&2
	exit 1
}
make --no-print-directory -s -j2 BUILD=$B CFLAGS="-O1 -g" $B/leads

logs=$root/$B/logs
rm -rf "$logs"
mkdir -p "$logs"
# The wrapper is a program, not a script: tests treat $LEADS_BIN as a
# binary file (0100-import feeds its first bytes to import as garbage).
wrapper=$root/$B/leads-vg
cat >"$wrapper.c" <<EOF
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	static char *pre[] = { "valgrind", "-q", "--tool=memcheck", "--leak-check=full",
		"--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
		"--error-exitcode=99", "--track-origins=yes", "--log-file=$logs/vg.%p.log",
		"$root/$B/leads" };
	int np = sizeof pre / sizeof pre[0];
	char **v = calloc((size_t)(argc + np), sizeof *v);
	for (int i = 0; i < np; i++)
		v[i] = pre[i];
	for (int i = 1; i < argc; i++)
		v[np + i - 1] = argv[i];
	execvp(v[0], v);
	return 127;
}
EOF
${CC:-cc} -O1 -o "$wrapper" "$wrapper.c"

if [ $# -eq 0 ]; then
	for f in tests/*.bats; do
		n=$(basename "$f" .bats)
		case " $SLOW " in
		*" $n "*) [ -n "${VALGRIND_ALL:-}" ] || continue ;;
		esac
		set -- "$@" "$f"
	done
fi

# Tests that cannot pass under valgrind whatever leads does, one a line:
# valgrind itself needs a usable TMPDIR; and it runs posix_spawn's vfork
# as a fork, so a sendmail that cannot be executed shows as exit 127
# instead of the exec error.
KNOWN="an unusable TMPDIR is an I/O error
a sendmail that cannot be run is a failure to retry, not a crash"

jobs=${VALGRIND_JOBS:-2}
tap=$root/$B/bats.tap
if [ "$jobs" -gt 1 ]; then
	set -- --jobs "$jobs" --no-parallelize-within-files "$@"
fi
LEADS_BIN=$wrapper bats "$@" | tee "$tap" || true
failed=$(grep '^not ok' "$tap" | grep -vF "$KNOWN" | wc -l)
grep -q '^1\.\.[1-9]' "$tap" || {
	echo "valgrind-suite: bats ran no tests" >&2
	exit 1
}

bad=0
for f in "$logs"/vg.*.log; do
	[ -s "$f" ] || continue
	bad=$((bad + 1))
	echo "==== $f" >&2
	cat "$f" >&2
done
n=$(ls "$logs" | wc -l)
if [ "$bad" -gt 0 ]; then
	echo "valgrind-suite: $bad of $n leads runs reported memory errors or leaks" >&2
	exit 1
fi
if [ "$failed" -gt 0 ]; then
	echo "valgrind-suite: $failed tests failed under valgrind:" >&2
	grep '^not ok' "$tap" | grep -vF "$KNOWN" >&2
	exit 1
fi
echo "valgrind-suite: $n leads runs, no memory errors, no definite leaks"
